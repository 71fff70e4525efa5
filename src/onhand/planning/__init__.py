"""Numerical planning: demand forecasting on plain arrays, with statsforecast.

A layer between services and store: services feed it demand series and use its results; it never
touches the database or the web (an import contract in pyproject.toml says so). It is kept out of
the domain because it needs numpy, pandas and statsforecast, and out of services so that those heavy
imports happen only where forecasting is used.
"""
