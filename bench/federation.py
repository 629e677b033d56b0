"""Time and bytes of one federation exchange (docs/federation.md) for sets of N × N keys.

    .venv/bin/python bench/federation.py                 # 1,000 × 1,000 and 100,000 × 100,000
    .venv/bin/python bench/federation.py --sizes 1000    # just one size
    .venv/bin/python bench/federation.py --no-write      # print, do not update bench/results.md

Both sides run in this one process, one after the other (as two servers on two cores would
not: the wall time of a real exchange is about the larger side's share, plus the network).
It runs the protocol's real code (federation/psi.py) and builds the three requests and their
answers as the transport does (JSON with base64 points, a signed commitment), counting their
bytes; HTTP, signatures of the messages and the database are left out (milliseconds beside the
group operations). A tenth of the keys are common to both sides. The section it writes in
bench/results.md is kept by bench/run.py."""

import argparse
import base64
import json
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nacl.signing import SigningKey  # noqa: E402

from federation import psi  # noqa: E402

START, END = "<!-- federation:start -->", "<!-- federation:end -->"


def _body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def _commitment(key: SigningKey, run_id: str, kind: str, party: psi.Party) -> dict:
    digest = psi.set_digest(kind, [k for k in party.order if k is not None], b"0123456789abcdef")
    text = f"enlace-psi-commitment-v1\n{run_id}\n{kind}\n{len(party.order)}\n{digest}".encode()
    return {
        "count": len(party.order),
        "digest": digest,
        "signature": base64.b64encode(key.sign(text).signature).decode(),
    }


def measure(size: int) -> dict:
    kind, run_id = "firearm", "bench0123456789"
    common = size // 10
    keys_a = [f"GLOCK:A{i:08d}" for i in range(size - common)] + [f"COLT:C{i:08d}" for i in range(common)]
    keys_b = [f"RUGER:B{i:08d}" for i in range(size - common)] + [f"COLT:C{i:08d}" for i in range(common)]
    key_a, key_b = SigningKey.generate(), SigningKey.generate()
    timings = {"initiator": 0.0, "responder": 0.0}
    wire = {}

    t = time.perf_counter()
    a = psi.Party(kind, keys_a)
    start = _body(
        {
            "run_id": run_id,
            "kind": kind,
            "commitment": _commitment(key_a, run_id, kind, a),
            "points": psi.pack(a.blinded_own()),
        }
    )
    timings["initiator"] += time.perf_counter() - t
    wire["start request"] = len(start)

    t = time.perf_counter()
    received = json.loads(start)
    theirs = psi.unpack(received["points"])
    b = psi.Party(kind, keys_b)
    doubled_a = b.blind_theirs(theirs)
    started = _body(
        {
            "run_id": run_id,
            "kind": kind,
            "doubled": psi.pack(doubled_a),
            "points": psi.pack(b.blinded_own()),
            "commitment": _commitment(key_b, run_id, kind, b),
        }
    )
    timings["responder"] += time.perf_counter() - t
    wire["start answer"] = len(started)

    t = time.perf_counter()
    answer = json.loads(started)
    own_doubled, points_b = psi.unpack(answer["doubled"]), psi.unpack(answer["points"])
    their_doubled = a.blind_theirs(points_b)
    found_a = a.matches(own_doubled, their_doubled)
    finish = _body({"run_id": run_id, "kind": kind, "doubled": psi.pack(their_doubled)})
    timings["initiator"] += time.perf_counter() - t
    wire["finish request"] = len(finish)

    t = time.perf_counter()
    w = psi.unpack(json.loads(finish)["doubled"])
    found_b = b.matches(w, doubled_a)
    timings["responder"] += time.perf_counter() - t
    wire["finish answer"] = len(_body({"run_id": run_id, "kind": kind, "status": "completed"}))
    sides = {
        h: [{"agency": "us-atf", "contact": {"name": "A Liaison", "email": "a@example.gov", "phone": "", "title": ""}}]
        for h in found_a.values()
    }
    wire["liaisons request"] = len(_body({"run_id": run_id, "kind": kind, "sides": sides}))
    wire["liaisons answer"] = wire["liaisons request"]

    assert len(found_a) == len(found_b) == common, (len(found_a), len(found_b), common)
    return {
        "size": size,
        "common": common,
        "initiator_s": timings["initiator"],
        "responder_s": timings["responder"],
        "total_s": timings["initiator"] + timings["responder"],
        "bytes": sum(wire.values()),
        "wire": wire,
    }


def report(results: list[dict]) -> str:
    lines = [
        START,
        "## Federation: one private set intersection run (bench/federation.py)",
        "",
        f"Python {platform.python_version()}, PyNaCl/libsodium, one process playing both sides, on "
        f"{platform.machine()} with 2 shared cores. A tenth of the keys common; times are wall-clock time of the "
        "group operations and encoding (no HTTP, no database); bytes are the JSON bodies of the three "
        "requests and their answers. Note the machine's load when reading the times.",
        "",
        "| keys (each side) | matches | initiator | responder | both, one after the other | bytes exchanged |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['common']:,} | {r['initiator_s']:.1f} s | {r['responder_s']:.1f} s | "
            f"{r['total_s']:.1f} s | {r['bytes'] / 1e6:.2f} MB |"
        )
    lines += ["", END]
    return "\n".join(lines)


def write(section: str) -> None:
    path = ROOT / "bench" / "results.md"
    text = path.read_text() if path.exists() else "# Enlace performance bench\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        result = measure(size)
        print(json.dumps(result), flush=True)
        results.append(result)
    section = report(results)
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()
