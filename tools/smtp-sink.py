"""A real SMTP server on loopback for the mail tests: PyPI aiosmtpd with its
Mailbox handler, which stores each message in a maildir.

Usage: smtp-sink.py PORT MAILDIR; prints "ready" once listening."""

import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

port, maildir = int(sys.argv[1]), sys.argv[2]
controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port)
controller.start()
print("ready", flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
