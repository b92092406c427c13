"""Public map page benchmark (issue 4): our page against a bare Leaflet page and a naive folium page.

    npm ci --prefix scripts/bench          # Lighthouse, once (scripts/bench/node_modules)
    .venv/bin/python scripts/bench/bench_page.py [--runs 3] [--json out.json] [--keep]

One run, in a throwaway database ``bench_page`` of the embedded cluster (dropped and recreated):

1. loads the demo kecamatan and serves the app (``sigkel serve``, gunicorn 2 workers x 4 threads,
   ``SIGKEL_BASEMAP=none``) on a free 127.0.0.1 port: OURS is its public map page ``/``;
2. writes two pages into a temp dir served by a tiny local HTTP server on another free port
   (precompressed ``.gz`` twins are served with ``Content-Encoding: gzip`` when the browser asks,
   as our app serves its vendored files):
   BARE    an empty Leaflet map (no basemap, no layers) with our vendored leaflet.js/.css;
   FOLIUM  the naive folium page: ``folium.Map(location=[-6.1786, 106.8712], zoom_start=15,
           tiles=None)`` + ``folium.GeoJson`` of the facilities and the RW boundaries, both fetched
           from our API and embedded; it references folium's CDN assets, kept as they are;
3. loads each page in headless Chromium with Playwright (1280x720, fresh context, until network
   idle) and records transferred bytes (CDP ``Network.loadingFinished`` encodedDataLength, i.e.
   headers + compressed body), requests, requests to other hosts and failed requests;
4. runs Lighthouse (mobile preset, the default; ``--runs`` times, median kept) on each page for the
   performance and accessibility scores, LCP and the failing audits; plus one desktop run.

No packet leaves the machine: Chromium gets ``--host-resolver-rules`` that resolve every name but
127.0.0.1/localhost to NOTFOUND, and Playwright also aborts any request to another host. So the
naive page's CDN requests fail at once with ERR_NAME_NOT_RESOLVED -- as they would on a closed
network, only without waiting for a DNS timeout.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_tiles import Server, free_port, log  # noqa: E402

DB = "bench_page"
LIGHTHOUSE = HERE / "node_modules/.bin/lighthouse"
CHROMIUM = "/usr/bin/chromium"
RESOLVER = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
CHROME_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
GOALS = {"extra_kib": 100, "external": 0, "performance": 90, "accessibility": 90, "lcp_ratio": 2.0}

BARE_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bare Leaflet</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/leaflet/leaflet.css">
<style>html, body, #map { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="map"></div>
<script src="/vendor/leaflet/leaflet.js"></script>
<script>L.map("map").setView([-6.1786, 106.8712], 15);</script>
</body>
</html>
"""


# -- setup -------------------------------------------------------------------------------------------


def setup_database() -> str:
    from gis import pipelines
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    settings = Settings.from_env()
    cluster = EmbeddedCluster.from_settings(settings)
    url, _ = pipelines.demo_database(cluster, DB, settings.data_dir)
    return url


def drop_database() -> None:
    from gis.config import Settings
    from gis.db.embedded import EmbeddedCluster

    EmbeddedCluster.from_settings(Settings.from_env()).drop_database(DB)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; ``X.gz`` is sent for ``X`` with Content-Encoding gzip when accepted."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        gz = path.with_name(path.name + ".gz")
        if path.is_file() and gz.is_file() and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gz.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            import io

            return io.BytesIO(data)
        return super().send_head()


def static_server(root: Path):
    port = free_port()
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, port


def write_pages(root: Path, app_port: int) -> dict:
    import folium

    shutil.copytree(ROOT / "webmap/static/vendor/leaflet", root / "vendor/leaflet")
    (root / "bare.html").write_text(BARE_HTML)

    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{app_port}{path}", timeout=30) as r:
            return json.loads(r.read())

    facilities = get("/api/layers/facilities.geojson")
    rw = get("/api/layers/rw.geojson")
    fmap = folium.Map(location=[-6.1786, 106.8712], zoom_start=15, tiles=None)
    folium.GeoJson(rw, name="RW").add_to(fmap)
    folium.GeoJson(facilities, name="Fasilitas").add_to(fmap)
    fmap.save(str(root / "folium.html"))
    html = (root / "folium.html").read_text()
    return {
        "facilities": len(facilities["features"]),
        "rw": len(rw["features"]),
        "folium_html_bytes": len(html.encode()),
        "folium_cdn_refs": [u for _, u in fmap.default_js] + [u for _, u in fmap.default_css],
    }


# -- Playwright --------------------------------------------------------------------------------------


def playwright_load(url: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS + [RESOLVER])
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        blocked: list[str] = []

        def guard(route):
            host = urllib.parse.urlsplit(route.request.url).hostname
            if route.request.url.startswith("data:") or host in LOCAL_HOSTS:
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort("namenotresolved")

        context.route("**/*", guard)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        reqs: dict[str, dict] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: reqs.setdefault(e["requestId"], {"url": e["request"]["url"]}),
        )
        cdp.on(
            "Network.responseReceived",
            lambda e: reqs.setdefault(e["requestId"], {}).update(
                status=e["response"]["status"], mime=e["response"]["mimeType"]
            ),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: reqs.setdefault(e["requestId"], {}).update(bytes=e["encodedDataLength"]),
        )
        cdp.on(
            "Network.loadingFailed",
            lambda e: reqs.setdefault(e["requestId"], {}).update(failed=e.get("errorText") or "failed"),
        )
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: console_errors.append(f"pageerror: {e}"))
        t0 = time.perf_counter()
        try:
            page.goto(url, wait_until="networkidle", timeout=60_000)
            status = "networkidle"
        except Exception as exc:  # noqa: BLE001 - recorded
            status = f"goto failed: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
        elapsed = time.perf_counter() - t0
        page.wait_for_timeout(500)
        shot = Path(tempfile.gettempdir()) / f"bench_page_{abs(hash(url)) % 10**6}.png"
        page.screenshot(path=str(shot))
        browser.close()
    real = [r for r in reqs.values() if "url" in r and not r["url"].startswith("data:")]
    other = [r for r in real if urllib.parse.urlsplit(r["url"]).hostname not in LOCAL_HOSTS]
    return {
        "status": status,
        "load_s": elapsed,
        "requests": len(real),
        "bytes": sum(r.get("bytes", 0) for r in real),
        "external": len(other),
        "external_hosts": sorted({urllib.parse.urlsplit(r["url"]).hostname for r in other}),
        "failed": [f"{r['url']} ({r['failed']})" for r in real if "failed" in r],
        "http_errors": [f"{r['url']} ({r['status']})" for r in real if r.get("status", 200) >= 400],
        "by_request": sorted(((r.get("bytes", 0), r["url"]) for r in real), reverse=True),
        "console_errors": [e for e in console_errors if "Failed to load resource" not in e][:10],
        "blocked_by_guard": blocked,
        "screenshot": str(shot),
    }


# -- Lighthouse --------------------------------------------------------------------------------------


def lighthouse(url: str, out: Path, desktop: bool = False) -> dict:
    flags = (
        " ".join(CHROME_ARGS)
        + ' --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"'
    )
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=performance,accessibility",
        "--output=json",
        f"--output-path={out}",
        f"--chrome-flags={flags}",
        "--quiet",
    ]
    if desktop:
        cmd.append("--preset=desktop")
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0 or not out.exists():
        return {"error": (proc.stderr or proc.stdout).strip()[-2000:], "cmd": cmd}
    lhr = json.loads(out.read_text())
    audits = lhr["audits"]

    def num(aid):
        return audits.get(aid, {}).get("numericValue")

    failing = []
    for cat_id, cat in lhr["categories"].items():
        for ref in cat["auditRefs"]:
            a = audits[ref["id"]]
            if (
                a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
                and a.get("score") is not None
                and a["score"] < 0.9
            ):
                failing.append(
                    {
                        "category": cat_id,
                        "id": a["id"],
                        "title": a["title"],
                        "score": a["score"],
                        "weight": ref.get("weight", 0),
                        "display": a.get("displayValue", ""),
                    }
                )
    return {
        "performance": round(lhr["categories"]["performance"]["score"] * 100)
        if lhr["categories"]["performance"]["score"] is not None
        else None,
        "accessibility": round(lhr["categories"]["accessibility"]["score"] * 100)
        if lhr["categories"]["accessibility"]["score"] is not None
        else None,
        "lcp_ms": num("largest-contentful-paint"),
        "fcp_ms": num("first-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift"),
        "si_ms": num("speed-index"),
        "bytes": num("total-byte-weight"),
        "runtime_error": (lhr.get("runtimeError") or {}).get("code"),
        "warnings": lhr.get("runWarnings", []),
        "lcp_error": audits.get("largest-contentful-paint", {}).get("errorMessage"),
        "failing": failing,
        "lighthouse": lhr.get("lighthouseVersion"),
        "user_agent": lhr.get("environment", {}).get("hostUserAgent"),
        "report": str(out),
    }


def median_run(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r and r.get("performance") is not None]
    if not ok:
        return runs[-1] | {"runs": len(runs), "ok_runs": 0}
    ok.sort(key=lambda r: r["performance"])
    med = dict(ok[len(ok) // 2])
    med["runs"], med["ok_runs"] = len(runs), len(ok)
    med["performance_all"] = [r["performance"] for r in runs if "error" not in r]
    med["lcp_all_ms"] = [r["lcp_ms"] for r in runs if "error" not in r]
    return med


# -- main --------------------------------------------------------------------------------------------


def machine() -> dict:
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception as exc:  # noqa: BLE001
            return f"? ({exc})"

    from importlib.metadata import version

    import playwright  # noqa: F401

    return {
        "nproc": os.cpu_count(),
        "chromium": out([CHROMIUM, "--version"]).splitlines()[-1] if os.path.exists(CHROMIUM) else None,
        "node": out(["node", "--version"]),
        "lighthouse": out([str(LIGHTHOUSE), "--version"]) if LIGHTHOUSE.exists() else None,
        "playwright": version("playwright"),
        "folium": version("folium"),
        "loadavg": os.getloadavg(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="Lighthouse mobile runs per page (median kept)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the bench_page database")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "bench_page")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    info = machine()
    log(f"machine: {info}")
    url = setup_database()
    server = Server(url, log_path=args.out / "server.log")
    tmp = Path(tempfile.mkdtemp(prefix="bench_page_"))
    httpd = None
    results: dict = {"machine": info, "pages": {}}
    try:
        pages_info = write_pages(tmp, server.port)
        httpd, sport = static_server(tmp)
        results["pages_info"] = pages_info
        pages = {
            "ours": f"http://127.0.0.1:{server.port}/",
            "bare": f"http://127.0.0.1:{sport}/bare.html",
            "folium": f"http://127.0.0.1:{sport}/folium.html",
        }
        log(f"pages: {pages}; folium page {pages_info}")
        for name, page_url in pages.items():
            pw = playwright_load(page_url)
            log(
                f"playwright {name}: {pw['bytes']} B, {pw['requests']} requests, {pw['external']} external, "
                f"{len(pw['failed'])} failed, {pw['status']}"
            )
            runs = []
            for i in range(args.runs):
                r = lighthouse(page_url, args.out / f"lh_{name}_mobile_{i}.json")
                runs.append(r)
                log(
                    f"lighthouse {name} mobile #{i + 1}: "
                    + (
                        f"perf {r['performance']} a11y {r['accessibility']} LCP {r['lcp_ms']} "
                        f"{r['runtime_error'] or ''}"
                        if "error" not in r
                        else f"ERROR {r['error'][-300:]}"
                    )
                )
            desktop = lighthouse(page_url, args.out / f"lh_{name}_desktop.json", desktop=True)
            results["pages"][name] = {
                "url": page_url,
                "playwright": pw,
                "mobile": median_run(runs),
                "mobile_runs": runs,
                "desktop": desktop,
            }
            if args.json:
                args.json.write_text(json.dumps(results, indent=1, default=str))
    finally:
        if httpd:
            httpd.shutdown()
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep:
            drop_database()
    results["goals"] = goals(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    report(results)
    return 0


def goals(results: dict) -> dict:
    p = results["pages"]
    ours, bare = p["ours"], p["bare"]
    out = {
        "bytes_extra_kib": (ours["playwright"]["bytes"] - bare["playwright"]["bytes"]) / 1024,
        "external": ours["playwright"]["external"],
        "performance": ours["mobile"].get("performance"),
        "accessibility": ours["mobile"].get("accessibility"),
    }
    lo, lb = ours["mobile"].get("lcp_ms"), bare["mobile"].get("lcp_ms")
    out["lcp_ratio"] = lo / lb if lo and lb else None
    out["met"] = {
        "bytes": out["bytes_extra_kib"] <= GOALS["extra_kib"],
        "external": out["external"] == 0,
        "performance": (out["performance"] or 0) >= GOALS["performance"],
        "accessibility": (out["accessibility"] or 0) >= GOALS["accessibility"],
        "lcp": out["lcp_ratio"] is not None and out["lcp_ratio"] <= GOALS["lcp_ratio"],
    }
    return out


def report(results: dict) -> None:
    print(
        "\n| page | bytes (KiB) | requests | other hosts | failed | perf | a11y | LCP s | FCP s | TBT ms | "
        "desktop perf | desktop LCP s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results["pages"].items():
        pw, m, d = r["playwright"], r["mobile"], r["desktop"]

        def s(v, div=1000.0, fmt="{:.2f}"):
            return fmt.format(v / div) if isinstance(v, (int, float)) else "n/a"

        print(
            f"| {name} | {pw['bytes'] / 1024:.1f} | {pw['requests']} | {pw['external']} | "
            f"{len(pw['failed'])} | {m.get('performance')} | {m.get('accessibility')} | "
            f"{s(m.get('lcp_ms'))} | {s(m.get('fcp_ms'))} | "
            f"{s(m.get('tbt_ms'), 1, '{:.0f}')} | {d.get('performance')} | {s(d.get('lcp_ms'))} |"
        )
    print(json.dumps(results["goals"], indent=1))
    ours = results["pages"]["ours"]["mobile"]
    for f in ours.get("failing", []):
        print(f"  failing ({f['category']}): {f['id']} — {f['title']} (score {f['score']}) {f['display']}")


if __name__ == "__main__":
    sys.exit(main())
