"""The `onhand` command line as a user runs it: a real process, its exit code and its output.

Bad input gives a non-zero exit code and sentences on stderr, never a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.integration.test_csv_import import BALANCES_CSV, ITEMS_CSV, LOCATIONS_CSV


def onhand(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    # Without ONHAND_DATABASE_URL from the caller's environment: each test names its database.
    env = {k: v for k, v in os.environ.items() if k != "ONHAND_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "onhand.cli", *args],
        cwd=cwd,
        env=env | {"COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_init_import_export_checkpoint_and_verify_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'acme.db'}"]
    out = ok(onhand(*db, "init", "--slug", "acme", "--password", "secret-pw1", cwd=tmp_path))
    assert re.search(r"API token \(shown once\): onh_\S+", out)
    for kind, text in (("locations", LOCATIONS_CSV), ("items", ITEMS_CSV)):
        (tmp_path / f"{kind}.csv").write_text(text)
        ok(onhand(*db, "import", kind, f"{kind}.csv", cwd=tmp_path))
    (tmp_path / "balances.csv").write_text(BALANCES_CSV)
    assert "6 opening balances posted" in ok(
        onhand(*db, "import", "balances", "balances.csv", cwd=tmp_path)
    )
    again = ok(onhand(*db, "import", "balances", "balances.csv", cwd=tmp_path))
    assert "imported before" in again
    assert "nothing changed" in again

    ok(onhand(*db, "export", "all", "--output", "out", cwd=tmp_path))
    exported = {k: (tmp_path / "out" / f"{k}.csv").read_text() for k in ("items", "locations")}
    assert exported["items"].splitlines()[0].startswith("sku,name,category,uom,precision")
    assert len(exported["items"].splitlines()) == 1 + 4
    movements = ok(onhand(*db, "export", "movements", cwd=tmp_path)).splitlines()
    assert movements[0].startswith("id,posting_id,effective_at")
    assert len(movements) == 1 + 6
    assert ",FLOUR,@adjustment,WH1/A/01/03,12.500," in movements[2]

    # The exported files import again (into a fresh organisation: tests/integration).
    ok(
        onhand(
            *db,
            "init",
            "--slug",
            "beta",
            "--admin",
            "boss",
            "--password",
            "pw-beta-2",
            cwd=tmp_path,
        )
    )
    ambiguous = onhand(*db, "export", "items", cwd=tmp_path)
    assert ambiguous.returncode == 2
    assert "2 organisations (acme, beta): choose one with --org" in ambiguous.stderr

    assert "OK" in ok(onhand(*db, "verify", cwd=tmp_path))
    assert re.search(
        r"checkpoint \d+ recorded: [0-9a-f]{64}", ok(onhand(*db, "checkpoint", cwd=tmp_path))
    )


def test_a_bad_import_file_exits_non_zero_with_each_problem_on_stderr(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'x.db'}"]
    ok(onhand(*db, "init", "--password", "secret-pw1", cwd=tmp_path))
    (tmp_path / "items.csv").write_text(
        "sku,name,precision,unit_cost\nA-1,Good,0,1\nB 2,Bad SKU,0,1\nC-3,Cost,0,1.2.3\nA-1,Again,0,1\n"
    )
    result = onhand(*db, "import", "items", "items.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("items.csv: line 3: SKU 'B 2' is not valid")
    assert lines[1] == "items.csv: line 4: unit_cost '1.2.3' is not a number"
    assert lines[2] == "items.csv: line 5: SKU 'A-1' is already on line 2"
    assert lines[3] == "error: items: 3 problems found, nothing was imported"
    assert ok(onhand(*db, "export", "items", cwd=tmp_path)).splitlines()[1:] == []

    for args, code, message in [
        (["import", "items", "missing.csv"], 2, "cannot read missing.csv"),
        (["import", "items", "items.csv", "--org", "nope"], 3, "organisation 'nope' not found"),
    ]:
        result = onhand(*db, *args, cwd=tmp_path)
        assert result.returncode == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr

    unreachable = onhand(
        "--database-url", "postgresql://nobody:pa55word@127.0.0.1:1/none", "verify", cwd=tmp_path
    )
    assert unreachable.returncode == 1
    assert (
        "cannot open the database 'postgresql://nobody:***@127.0.0.1:1/none'" in unreachable.stderr
    )
    assert "pa55word" not in unreachable.stderr
    assert "Traceback" not in unreachable.stderr


def test_demo_without_serving_builds_its_own_database_and_it_verifies(tmp_path: Path) -> None:
    out = ok(onhand("demo", "--items", "20", "--days", "10", "--no-serve", cwd=tmp_path))
    assert (tmp_path / "onhand-demo.db").exists()
    assert re.search(r"verify: [\d,]+ movements in 20 chains: OK", out)
    assert re.search(r"Login\s+demo / \S+", out)
    assert re.search(r"API token\s+onh_\S+", out)
    demo_db = ["--database-url", "sqlite:///onhand-demo.db"]
    assert "OK" in ok(onhand(*demo_db, "verify", cwd=tmp_path))
    warehouses = ok(onhand(*demo_db, "export", "balances", "--org", "demo", cwd=tmp_path))
    assert {line.split(",")[1].split("/")[0] for line in warehouses.splitlines()[1:]} >= {
        "WH1",
        "WH2",
        "WH3",
    }

    rebuilt = onhand("demo", "--items", "10", "--days", "1", "--no-serve", cwd=tmp_path)
    assert "replacing the previous demo database" in ok(rebuilt) + rebuilt.stderr
    named = onhand(*demo_db, "demo", "--items", "10", "--days", "1", "--no-serve", cwd=tmp_path)
    assert named.returncode == 4
    assert "organisation 'demo' already exists" in named.stderr
    assert "Traceback" not in named.stderr


def test_the_demo_serves_its_organisation_with_the_login_it_prints(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ONHAND_DATABASE_URL"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onhand.cli",
            "demo",
            "--items",
            "10",
            "--days",
            "3",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env | {"PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline, healthy = time.monotonic() + 90, False
        while not healthy and time.monotonic() < deadline and proc.poll() is None:
            try:
                healthy = httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert healthy, "the demo did not start serving"
        assert proc.stdout is not None
        # Everything is printed before the server starts: these lines are in the pipe already.
        printed = ""
        while "Try" not in printed and (line := proc.stdout.readline()):
            printed += line
        assert f"{url}/docs" in printed
        login = re.search(r"Login\s+(\S+) / (\S+)", printed)
        token = re.search(r"API token\s+(onh_\S+)", printed)
        assert login
        assert token
        auth = {"Authorization": f"Bearer {token.group(1)}"}
        stock = httpx.get(f"{url}/api/v1/stock/locations", params={"path": "WH1"}, headers=auth)
        assert stock.status_code == 200, stock.text
        assert stock.json()["lines"]
        body = {"username": login.group(1), "password": login.group(2)}
        assert httpx.post(f"{url}/api/v1/auth/token", json=body).status_code == 201
    finally:
        proc.terminate()
        proc.wait(20)


def test_purchasing_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'buy.db'}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return onhand(*db, *args, cwd=tmp_path)

    ok(run("init", "--slug", "buy", "--password", "secret-pw1"))
    (tmp_path / "l.csv").write_text(
        "path,kind\nWH1,internal\nWH1/RECV,internal\nWH1/A,internal\nWH1/A/01,internal\n"
    )
    (tmp_path / "i.csv").write_text(
        "sku,name,uom,precision,tracking\nBOLT,Bolt,ea,0,none\nMILK,Milk,l,1,lot\n"
    )
    ok(run("import", "locations", "l.csv"))
    ok(run("import", "items", "i.csv"))
    ok(run("supplier", "add", "ACME", "Acme Ltd", "--over-receipt-pct", "5"))
    out = ok(
        run(
            "po",
            "create",
            "--supplier",
            "ACME",
            "--receive-to",
            "WH1/RECV",
            "BOLT=100",
            "MILK=10",
            "--order",
        )
    )
    assert "PO-000001  ordered" in out
    assert "partially_received" in ok(run("po", "receive", "PO-000001", "1=40", "--key", "k1"))
    assert "nothing changed" in ok(run("po", "receive", "PO-000001", "1=40", "--key", "k1"))
    over = run("po", "receive", "PO-000001", "1=70")
    assert over.returncode == 4
    assert "5% tolerance" in over.stderr
    assert "Traceback" not in over.stderr
    no_lot = run("po", "receive", "PO-000001", "2=10")
    assert no_lot.returncode == 2
    assert "lot" in no_lot.stderr
    ok(run("po", "receive", "PO-000001", "2=10", "--lot", "L1", "--expiry", "2027-01-31"))
    bad_date = run("po", "receive", "PO-000001", "2=1", "--lot", "L1", "--expiry", "soon")
    assert bad_date.returncode == 2
    assert "WH1/A/01" in ok(run("put-away", "suggest", "BOLT", "WH1/RECV"))
    assert "put away to WH1/A/01" in ok(run("put-away", "move", "BOLT", "WH1/RECV", "40"))
    assert "posted" in ok(run("receive", "BOLT", "3", "WH1/RECV", "--supplier", "ACME"))
    assert "received" in ok(run("po", "close", "PO-000001"))
    assert run("po", "show", "PO-404").returncode == 3
    ok(run("verify"))


def test_selling_picking_and_shipping_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'sell.db'}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return onhand(*db, *args, cwd=tmp_path)

    ok(run("init", "--slug", "sell", "--password", "secret-pw1"))
    (tmp_path / "l.csv").write_text(
        "path,kind\nWH1,internal\nWH1/OUT,internal\nWH1/A,internal\nWH1/A/01,internal\n"
    )
    (tmp_path / "i.csv").write_text("sku,name\nBOLT,Bolt\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A/01,10\n")
    for kind in ("locations", "items"):
        ok(run("import", kind, f"{kind[0]}.csv"))
    ok(run("import", "balances", "b.csv"))
    assert "outbound WH1/OUT" in ok(run("warehouse", "settings", "WH1", "--outbound", "WH1/OUT"))
    out = ok(run("so", "create", "--warehouse", "WH1", "--customer", "Smith", "BOLT=12"))
    assert "SO-000001  open" in out
    assert "not yet" in ok(run("atp", "WH1", "BOLT=1"))
    assert "PL-000001" in ok(run("pick", "create", "WH1"))
    wrong = run("pick", "confirm", "PL-000001", "1", "--location", "WH1/OUT", "--quantity", "10")
    assert wrong.returncode == 2
    assert "scanned" in wrong.stderr
    ok(run("pick", "confirm", "PL-000001", "1", "--location", "WH1/A/01", "--quantity", "10"))
    assert "partially_shipped" in ok(run("so", "ship", "SO-000001", "--key", "t1"))
    assert "nothing changed" in ok(run("so", "ship", "SO-000001", "--key", "t1"))
    assert run("so", "cancel", "SO-404").returncode == 3
    ok(run("verify"))


def test_transfers_returns_and_scrap_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'move.db'}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return onhand(*db, *args, cwd=tmp_path)

    ok(run("init", "--slug", "move", "--password", "secret-pw1"))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\nWH2,internal\n")
    (tmp_path / "i.csv").write_text("sku,name\nBOLT,Bolt\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,WH1/A,10\n")
    ok(run("import", "locations", "l.csv"))
    ok(run("import", "items", "i.csv"))
    ok(run("import", "balances", "b.csv"))
    assert "TR-000001  planned  WH1/A > @transit > WH2" in ok(
        run("transfer", "create", "WH1/A", "WH2", "BOLT=4", "--arrival", "2030-01-01")
    )
    assert "in_transit" in ok(run("transfer", "ship", "TR-000001"))
    assert "received" in ok(run("transfer", "receive", "TR-000001"))
    again = run("transfer", "receive", "TR-000001")
    assert again.returncode == 4
    assert "received" in again.stderr
    assert "posted into stock" in ok(run("return", "WH1/A", "BOLT=1", "--reason", "unwanted"))
    back = ("supplier-return", "ACME", "WH1/A", "BOLT=2", "--reason", "defective", "--key", "r1")
    unknown = run(*back)
    assert unknown.returncode == 3
    assert "supplier 'ACME' not found" in unknown.stderr
    ok(run("supplier", "add", "ACME", "Acme"))
    assert "return to ACME posted from WH1/A" in ok(run(*back))
    assert "already posted" in ok(run(*back))
    too_many = run("supplier-return", "ACME", "WH1/A", "BOLT=99", "--reason", "defective")
    assert too_many.returncode == 4
    bad = run("scrap", "BOLT", "WH1/A", "1", "--reason", "Bad Reason")
    assert bad.returncode == 2
    ok(run("scrap", "BOLT", "WH1/A", "1", "--reason", "damaged"))
    ok(run("verify"))


def test_channel_sales_and_exceptions_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'shop.db'}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return onhand(*db, *args, cwd=tmp_path)

    def sales(name: str, text: str, store: str = "STORES/S12") -> subprocess.CompletedProcess[str]:
        (tmp_path / name).write_text(text)
        return run("channel-sales", "import", name, "--channel", "shop-12", "--store", store)

    ok(run("init", "--slug", "shop", "--password", "secret-pw1"))
    (tmp_path / "l.csv").write_text(
        "path,allow_negative\nSTORES,false\nSTORES/S12,false\nSTORES/S13,true\n"
    )
    (tmp_path / "i.csv").write_text("sku,name,uom,precision,tracking\nBOLT,Bolt,ea,0,none\n")
    (tmp_path / "b.csv").write_text("sku,location,quantity\nBOLT,STORES/S12,10\n")
    for kind, name in (("locations", "l.csv"), ("items", "i.csv"), ("balances", "b.csv")):
        ok(run("import", kind, name))
    good = (
        "external_id,kind,sku,quantity,at,unit_price\n"
        "r-1,sale,BOLT,2,2026-01-05T10:03:00Z,3.50\n"
        "r-2,sale,BOLT,2,,\n"
        "r-3,refund,BOLT,1,,\n"
    )
    assert "3 lines posted from STORES/S12 (posting" in ok(sales("good.csv", good))
    assert "nothing new: 3 lines posted before" in ok(sales("good.csv", good))

    bad = sales(
        "bad.csv",
        "external_id,kind,sku,quantity\nr-4,sale,BOLT,1\nr-5,sale,NOPE,1\nr-1,sale,BOLT,9\n",
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        "bad.csv: line 3: SKU 'NOPE' not found",
        "bad.csv: line 4: shop-12 line 'r-1' was posted before with other content",
        "error: channel sales: 2 problems found, nothing was imported",
    ]
    for result, code, message in [
        (
            sales("one.csv", "external_id,kind,sku,quantity\nr-6,sale,BOLT,1\n", "NOPE"),
            2,
            "store 'NOPE' not found",
        ),
        (
            sales("many.csv", "external_id,kind,sku,quantity\nr-7,sale,BOLT,99\n"),
            4,
            "only 7 of BOLT available at STORES/S12",
        ),
        (
            run("channel-sales", "import", "missing.csv", "--channel", "x", "--store", "S"),
            2,
            "cannot read missing.csv",
        ),
        (run("exceptions", "--kind", "nope"), 2, "kind must be one of negative_stock"),
    ]:
        assert result.returncode == code, result.stderr
        assert message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr

    assert "no exceptions" in ok(run("exceptions"))
    neg = "external_id,kind,sku,quantity,at\nn-1,sale,BOLT,2,2026-01-06T08:00:00Z\n"
    assert "1 line posted from STORES/S13" in ok(sales("neg.csv", neg, "STORES/S13"))
    listed = ok(run("exceptions", "--kind", "negative_stock"))
    key = re.search(
        r"^HIGH negative_stock for clerk  \[(negative_stock:item=\d+:\S+)\]$", listed, re.M
    )
    assert key, listed
    assert "  BOLT stands at -2 at STORES/S13 since 2026-01-06T08:00:00+00:00\n" in listed
    assert "  do: Count the location" in listed
    assert listed.rstrip().endswith("1 exception")
    assert "no exceptions" in ok(
        run("exceptions", "--kind", "negative_stock", "--severity", "critical")
    )
    acked = ok(run("exceptions", "--ack", key[1], "--note", "till fixed"))
    assert f"acknowledged {key[1]}: BOLT stands at -2" in acked
    assert "no exceptions" in ok(run("exceptions", "--kind", "negative_stock"))
    assert "(acknowledged)" in ok(run("exceptions", "--kind", "negative_stock", "--all"))
    assert "no longer acknowledged" in ok(run("exceptions", "--unack", key[1]))
    again = run("exceptions", "--unack", key[1])
    assert again.returncode == 3, again.stderr
    assert "is not acknowledged" in again.stderr
    assert "1 exception" in ok(run("exceptions", "--kind", "negative_stock"))
    bad = run("exceptions", "--severity", "urgent")
    assert bad.returncode == 2, bad.stderr
    assert "severity must be one of critical" in bad.stderr
    ok(run("verify"))


def test_cycle_counting_from_the_command_line(tmp_path: Path) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'count.db'}"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return onhand(*db, *args, cwd=tmp_path)

    ok(run("init", "--slug", "count", "--password", "secret-pw1"))
    (tmp_path / "l.csv").write_text("path,kind\nWH1,internal\nWH1/A,internal\nWH1/A/01,internal\n")
    (tmp_path / "i.csv").write_text(
        "sku,name,uom,precision,tracking,unit_cost\nBOLT,Bolt,ea,0,none,2.5\nMILK,Milk,l,1,lot,1\n"
    )
    (tmp_path / "b.csv").write_text("sku,location,quantity,lot\nBOLT,WH1/A/01,50,\n")
    ok(run("import", "locations", "l.csv"))
    ok(run("import", "items", "i.csv"))
    ok(run("import", "balances", "b.csv"))
    assert "frequency: A=12 B=4 C=365" in ok(run("count", "settings", "--frequency", "C=365"))
    assert "classified 2 items" in ok(run("count", "classify"))
    assert "count documents" in ok(run("count", "plan", "--date", "2026-12-07"))
    assert run("count", "plan", "--date", "2026-12-06").returncode == 2  # a Sunday
    out = ok(run("count", "create", "--location", "WH1/A"))
    number = out.split()[0]
    assert out.startswith("CC-")
    assert "recount" in ok(run("count", "record", number, "WH1/A/01", "BOLT=40", "MILK@L9=2"))
    assert "review" in ok(run("count", "record", number, "WH1/A/01", "BOLT=40", "MILK@L9=2"))
    shown = ok(run("count", "show", number))
    assert "-10" in shown
    assert "variance value: -23.00" in shown  # 10 bolts at 2.50 short, 2 l of milk at 1 found
    assert "closed" in ok(run("count", "approve", number, "--reason", "damaged"))
    assert "0.0 % (0 of 2)" in ok(run("count", "accuracy", "--period", "day"))
    bad = run("count", "record", number, "WH1/A/01", "BOLT")
    assert bad.returncode == 2
    assert "SKU=QTY" in bad.stderr
    assert run("count", "show", "CC-404").returncode == 3
    assert "Traceback" not in bad.stderr
    ok(run("verify"))
