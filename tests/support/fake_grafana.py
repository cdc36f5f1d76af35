"""A small HTTP server answering the part of Grafana's HTTP API that 'greenhouse grafana push' uses, as
Grafana 11 answers it (404 for unknown uids, upsert of dashboards by uid), and recording every request.

Grafana itself is in no Debian or PyPI package, so it cannot run here; this stands in for it."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class GrafanaState:
    token: str
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: GrafanaState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"null")

        def _route(self, method: str) -> None:
            with state.lock:
                state.calls.append((method, self.path))
                if self.headers.get("Authorization") != f"Bearer {state.token}":
                    self._send(401, {"message": "Unauthorized"})
                    return
                body = self._body() if method in ("POST", "PUT") else None
                status, answer = self._answer(method, self.path, body)
            self._send(status, answer)

        def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
            if m := re.fullmatch(r"/api/datasources/uid/([\w-]+)", path):
                uid = m.group(1)
                if method == "GET":
                    return (
                        (200, state.datasources[uid])
                        if uid in state.datasources
                        else (404, {"message": "Data source not found"})
                    )
                if uid not in state.datasources:
                    return 404, {"message": "Data source not found"}
                state.datasources[uid] = {**body, "id": state.datasources[uid]["id"]}
                return 200, {"message": "Datasource updated", "datasource": state.datasources[uid]}
            if path == "/api/datasources" and method == "POST":
                if body["uid"] in state.datasources or any(
                    d["name"] == body["name"] for d in state.datasources.values()
                ):
                    return 409, {"message": "data source with the same name already exists"}
                state.datasources[body["uid"]] = {**body, "id": len(state.datasources) + 1}
                return 200, {"message": "Datasource added", "datasource": state.datasources[body["uid"]]}
            if m := re.fullmatch(r"/api/folders/([\w-]+)", path):
                uid = m.group(1)
                return (200, state.folders[uid]) if uid in state.folders else (404, {"message": "folder not found"})
            if path == "/api/folders" and method == "POST":
                if body["uid"] in state.folders:
                    return 409, {"message": "a folder with the same uid already exists"}
                state.folders[body["uid"]] = {**body, "id": len(state.folders) + 1}
                return 200, state.folders[body["uid"]]
            if m := re.fullmatch(r"/api/dashboards/uid/([\w-]+)", path):
                uid = m.group(1)
                if uid not in state.dashboards:
                    return 404, {"message": "Dashboard not found"}
                return 200, {
                    "dashboard": state.dashboards[uid]["dashboard"],
                    "meta": {"folderUid": state.dashboards[uid]["folderUid"]},
                }
            if path == "/api/dashboards/db" and method == "POST":
                board = body["dashboard"]
                if board["uid"] in state.dashboards and not body.get("overwrite"):
                    return 412, {"message": "A dashboard with the same uid already exists", "status": "name-exists"}
                if body["folderUid"] not in state.folders:
                    return 400, {"message": "folder not found"}
                version = state.dashboards.get(board["uid"], {}).get("version", 0) + 1
                state.dashboards[board["uid"]] = {
                    "dashboard": board,
                    "folderUid": body["folderUid"],
                    "version": version,
                }
                return 200, {"uid": board["uid"], "status": "success", "version": version}
            return 404, {"message": "Not found"}

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler


class FakeGrafana:
    def __init__(self, token: str) -> None:
        self.state = GrafanaState(token)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
