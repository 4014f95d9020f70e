"""Shared by the interop suites: named checks that report PASS / FAIL lines, expected gRPC errors, and stream watchers."""
import threading
import time
import traceback

import grpc

failures = []


def check(name):
    """Runs the decorated function at once; prints PASS or FAIL with the check's name and keeps the failures."""
    def run(fn):
        try:
            fn()
            print("PASS", name, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported by name
            failures.append(name)
            print("FAIL", name, "-", repr(e), flush=True)
            traceback.print_exc()
        return fn
    return run


def expect_error(code, fn, contains=None):
    """Calls fn, which must fail with the gRPC status code (and a message containing the text, if given)."""
    try:
        fn()
    except grpc.RpcError as e:
        assert e.code() == code, f"expected {code}, got {e.code()}: {e.details()}"
        if contains:
            assert contains in (e.details() or ""), f"expected {contains!r} in {e.details()!r}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def watch_into(call):
    """Collects a server stream's messages in a list, on a thread of its own, until the stream ends or is cancelled."""
    received = []

    def collect():
        try:
            for message in call:
                received.append(message)
        except grpc.RpcError:
            pass

    threading.Thread(target=collect, daemon=True).start()
    time.sleep(0.3)
    return received
