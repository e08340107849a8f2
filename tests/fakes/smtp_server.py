"""A small local SMTP server on 127.0.0.1 (threaded) for tests and benchmarks: it speaks
enough of RFC 5321 for smtplib and Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT), keeps every message with the connection it came on, and counts the
connections opened. `refuse` makes RCPT TO answer 550 for these addresses."""

import email
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    connection: int
    mail_from: str
    rcpt_to: list[str]
    message: email.message.Message


@dataclass
class FakeSmtpServer:
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    refuse: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._lock = threading.Lock()
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write((text + "\r\n").encode())
                self.wfile.flush()

            def handle(self):
                with fake._lock:
                    fake.connections += 1
                    number = fake.connections
                self.reply("220 fake-smtp ready")
                mail_from, rcpt = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-fake-smtp")
                        self.reply("250-8BITMIME")
                        self.reply("250 SMTPUTF8")
                    elif verb == "HELO":
                        self.reply("250 fake-smtp")
                    elif verb == "MAIL":
                        mail_from, rcpt = line.split(":", 1)[1].strip().strip("<>"), []
                        mail_from = mail_from.split(">")[0]
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = line.split(":", 1)[1].strip().split(">")[0].strip("<")
                        if address.lower() in fake.refuse:
                            self.reply("550 5.1.1 no such user")
                        else:
                            rcpt.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        chunks = []
                        while True:
                            data = self.rfile.readline()
                            if not data or data in (b".\r\n", b".\n"):
                                break
                            chunks.append(data[1:] if data.startswith(b"..") else data)
                        message = email.message_from_bytes(b"".join(chunks))
                        with fake._lock:
                            fake.messages.append(Received(number, mail_from, rcpt, message))
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "FakeSmtpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
