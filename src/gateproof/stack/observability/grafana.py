"""A Grafana stand-in: the repository's dashboards and datasources through the endpoints
Grafana documents, with Grafana's service-account token check.

    python -m gateproof.stack.observability.grafana --port P --dashboards DIR \\
        --datasources FILE [--token-env NAME]

``GET /api/health`` (no auth); ``/api/search?type=dash-db&query=``,
``/api/dashboards/uid/<uid>``, ``/api/datasources`` (``Authorization: Bearer <token>``
when ``--token-env`` names a variable: none is 401 ``auth.unauthorized``, a wrong one 401
``api-key.invalid``). Dashboards (``DIR/*.json``) and datasources (a Grafana provisioning
file) are read on every request, as provisioning would pick up a changed file.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VERSION = "10.4.0 (gateproof stand-in)"


def dashboards(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # Grafana's provisioning skips a file it cannot read, and logs it
        if isinstance(data, dict) and data.get("uid"):
            found.append(data)
    return found


def datasources(file: Path) -> list[dict[str, Any]]:
    loaded = yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else None
    listed = (loaded or {}).get("datasources") or []
    return [
        {
            "id": i + 1,
            "uid": d.get("uid", d.get("name")),
            "name": d.get("name"),
            "type": d.get("type"),
            "url": d.get("url", ""),
            "access": d.get("access", "proxy"),
            "isDefault": bool(d.get("isDefault")),
        }
        for i, d in enumerate(listed)
        if isinstance(d, dict)
    ]


def build_app(folder: Path, datasource_file: Path, token: str | None) -> Starlette:
    def refused(request: Request) -> Response | None:
        if token is None:
            return None
        given = request.headers.get("authorization", "")
        if not given:
            return JSONResponse({"message": "Unauthorized", "messageId": "auth.unauthorized"}, 401)
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
            return JSONResponse({"message": "Invalid API key", "messageId": "api-key.invalid"}, 401)
        return None

    async def health(_: Request) -> Response:
        return JSONResponse({"database": "ok", "version": VERSION, "commit": "standin"})

    async def search(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        wanted = request.query_params.get("query", "").lower()
        hits = [
            {
                "uid": d["uid"],
                "title": d.get("title", ""),
                "type": "dash-db",
                "url": f"/d/{d['uid']}",
                "tags": d.get("tags", []),
            }
            for d in dashboards(folder)
            if wanted in str(d.get("title", "")).lower()
        ]
        return JSONResponse(hits)

    async def by_uid(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        uid = request.path_params["uid"]
        for board in dashboards(folder):
            if board["uid"] == uid:
                meta = {"slug": uid, "url": f"/d/{uid}", "provisioned": True}
                return JSONResponse({"dashboard": board, "meta": meta})
        return JSONResponse({"message": "Dashboard not found"}, 404)

    async def sources(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        return JSONResponse(datasources(datasource_file))

    return Starlette(
        routes=[
            Route("/api/health", health),
            Route("/api/search", search),
            Route("/api/dashboards/uid/{uid}", by_uid),
            Route("/api/datasources", sources),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dashboards", type=Path, required=True)
    parser.add_argument("--datasources", type=Path, required=True)
    parser.add_argument("--token-env", help="require 'Authorization: Bearer $NAME'")
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env) if args.token_env else None
    if args.token_env and not token:
        print(f"grafana stand-in: {args.token_env} is empty or unset", flush=True)
        return 2
    app = build_app(args.dashboards, args.datasources, token)
    print(f"grafana stand-in on {args.host}:{args.port}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
