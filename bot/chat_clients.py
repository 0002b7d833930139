"""Scripted chat clients: a shopper's widget socket and an agent's console, for benchmarks and tests."""

from __future__ import annotations

import base64
import queue
import threading
import time
from typing import Any, Callable, Dict, List, Optional

import requests
import socketio

COOKIE = "xiaoer_console"
HEARTBEAT_SECONDS = 10.0


class Inbox:
    """Everything a socket heard, to wait on: ``inbox.wait("chat_message", lambda m: …)``."""

    def __init__(self) -> None:
        self.items: "queue.Queue[tuple]" = queue.Queue()
        self.seen: List[tuple] = []

    def put(self, event: str, data: Any) -> None:
        self.items.put((event, data, time.monotonic()))

    def wait(self, event: str, match: Callable[[Any], bool] = lambda _: True, timeout: float = 15) -> tuple:
        """The first (data, arrival time) of ``event`` matching ``match``, heard before or within ``timeout``."""
        for name, data, at in self.seen:
            if name == event and match(data):
                self.seen.remove((name, data, at))
                return data, at
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event} matching within {timeout}s; heard {[s[0] for s in self.seen]}")
            try:
                name, data, at = self.items.get(timeout=remaining)
            except queue.Empty:
                continue
            if name == event and match(data):
                return data, at
            self.seen.append((name, data, at))


class WidgetClient:
    def __init__(self, url: str, token: Optional[str] = None, visitor_id: Optional[str] = None) -> None:
        self.inbox = Inbox()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self.inbox.put)
        self.sio.connect(url, auth={"token": token, "visitor_id": visitor_id},
                         transports=["polling"], wait_timeout=10)
        self.session = self.sio.call("session_request", {}, timeout=10)

    def send(self, text: str, client_id: Optional[str] = None) -> Dict[str, Any]:
        message = {"message": text} if client_id is None else {"message": text, "client_id": client_id}
        return self.sio.call("user_uttered", message, timeout=30)

    def upload_image(self, data: bytes, content_type: str = "image/png", name: str = "photo.png",
                     client_id: Optional[str] = None) -> Dict[str, Any]:
        """Sends a picture as the widget does (base64 over the socket); returns the ack."""
        return self.sio.call("upload_image", {"client_id": client_id, "name": name, "type": content_type,
                                              "data": base64.b64encode(data).decode()}, timeout=30)

    def reply_texts(self, timeout: float = 15) -> List[str]:
        texts = [self.inbox.wait("bot_uttered", timeout=timeout)[0].get("text", "")]
        while True:
            try:
                texts.append(self.inbox.wait("bot_uttered", timeout=0.3)[0].get("text", ""))
            except AssertionError:
                return texts

    def call(self, event: str, data: Any) -> Any:
        return self.sio.call(event, data, timeout=15)

    def close(self) -> None:
        self.sio.disconnect()


class ConsoleAgent:
    """One agent signed in to the console over HTTP, optionally listening on its socket."""

    def __init__(self, console_url: str, login: str, password: str) -> None:
        self.url = console_url
        self.http = requests.Session()
        answer = self.http.post(f"{console_url}/console/api/login",
                                json={"login": login, "password": password}, timeout=10)
        answer.raise_for_status()
        self.http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        self.login = login
        self.inbox = Inbox()
        self.sio: Optional[socketio.Client] = None
        self._stop = threading.Event()
        threading.Thread(target=self._heartbeats, name=f"heartbeat-{login}", daemon=True).start()

    def _heartbeats(self) -> None:
        """Beats like the console page does: without them the queue counts the agent offline
        after ``HANDOFF_HEARTBEAT_TTL_SECONDS`` and refuses their claims."""
        beat = requests.Session()          # sessions are not shared across threads
        beat.cookies.update(self.http.cookies)
        beat.headers.update(self.http.headers)
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                beat.post(f"{self.url}/console/api/heartbeat", json={}, timeout=5)
            except requests.RequestException:
                pass                        # the next beat tries again, as the page does

    def api(self, method: str, path: str, **body: Any) -> requests.Response:
        return self.http.request(method, f"{self.url}/console/api{path}",
                                 json=body if method != "GET" else None, timeout=15)

    def listen(self) -> "ConsoleAgent":
        # The session cookie rides on every poll, as a browser's does: behind nginx it is what
        # keeps them on one console replica. A session of its own: the socket polls from its
        # own thread, and requests' sessions are not shared across threads.
        polling = requests.Session()
        polling.cookies.update(self.http.cookies)
        self.sio = socketio.Client(reconnection=False, http_session=polling)
        self.sio.on("*", self.inbox.put)
        self.sio.connect(self.url, socketio_path="/console/socket.io", transports=["polling"],
                         headers={"Cookie": f"{COOKIE}={self.http.cookies[COOKIE]}"}, wait_timeout=10)
        return self

    def watch(self, ticket_id: str) -> None:
        assert self.sio.call("watch", {"ticket_id": ticket_id}, timeout=10) == {"ok": True}

    def queue(self) -> List[Dict[str, Any]]:
        answer = self.api("GET", "/queue")
        answer.raise_for_status()
        return answer.json()["tickets"]

    def ticket_of(self, conversation_id: str) -> Dict[str, Any]:
        for row in self.queue() + self.api("GET", "/chats").json()["chats"]:
            detail = self.api("GET", f"/tickets/{row['ticket_id']}").json()["ticket"]
            if detail["conversation_id"] == conversation_id:
                return detail
        raise AssertionError(f"no ticket for {conversation_id}")

    def claim(self, ticket_id: str) -> requests.Response:
        return self.api("POST", f"/tickets/{ticket_id}/claim")

    def send(self, ticket_id: str, text: str) -> requests.Response:
        return self.api("POST", f"/tickets/{ticket_id}/messages", text=text)

    def messages(self, ticket_id: str) -> List[Dict[str, Any]]:
        return self.api("GET", f"/tickets/{ticket_id}/messages").json()["messages"]

    def resolve(self, ticket_id: str) -> requests.Response:
        return self.api("POST", f"/tickets/{ticket_id}/resolve")

    def close(self) -> None:
        """Signs out (away: no new chats for this agent) and closes the socket."""
        self._stop.set()
        if self.sio is not None:
            self.sio.disconnect()
        self.api("POST", "/logout")
