#!/usr/bin/env python3
"""tests/hostile/run-corpus.py — run every hostile checkpoint and config of
the committed corpus through the real `litc` program, as `make test` does
(CTest test hostile-corpus):

    python3 tests/hostile/run-corpus.py --litc build/litc [--sanitized] [--only NAME]

Each case runs in its own scratch folder S:
    S/run/           the run's directory (cwd): base.yaml, the case file, ckpts/
    S/run/ckpts/link-out.ckpt -> S/outside/victim.txt   (symlinks an attacker
    S/run/ckpts/linkdir       -> S/outside               may aim paths through)
    S/outside/       files nothing may change: victim.txt, keep/data.bin
and must end with the expected exit code within a time and memory bound,
print a reason when it fails (the expected words included), leave S/outside
exactly as it was, and, when it succeeds, leave a last.ckpt that `litc info`
calls valid. Checkpoints are prepared for S by run-time substitution of
@SANDBOX@ and re-signing (litcckpt.py); configs get @SANDBOX@ and @CORPUS@.
"""
import argparse
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from litcckpt import Checkpoint  # noqa: E402

TIME_LIMIT_S = 60          # per command; the slowest honest case takes ~1 s (~5 s under ASan)
RSS_LIMIT_MB = 1024        # peak resident memory per command (4096 under ASan: its shadow memory)
AS_LIMIT = 8 << 30         # address-space cap (release build only): a bomb dies instead of the machine


def snapshot(root, skip):
    """path -> (kind, content digest) for everything under root but `skip`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if os.path.abspath(dirpath) == os.path.abspath(skip):
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[p] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    out[p] = ("file", hashlib.sha256(f.read()).hexdigest(), st.st_mtime_ns)
            elif stat.S_ISDIR(st.st_mode):
                out[p] = ("dir",)
            else:
                out[p] = ("other", st.st_mode)
    return out


def make_sandbox():
    s = tempfile.mkdtemp(prefix="litc-hostile-")
    run, outside = os.path.join(s, "run"), os.path.join(s, "outside")
    os.makedirs(os.path.join(run, "ckpts"))
    os.makedirs(os.path.join(outside, "keep"))
    with open(os.path.join(outside, "victim.txt"), "w") as f:
        f.write("an attacker must not remove or change this file\n")
    with open(os.path.join(outside, "keep", "data.bin"), "wb") as f:
        f.write(bytes(range(256)))
    os.symlink(os.path.join(outside, "victim.txt"), os.path.join(run, "ckpts", "link-out.ckpt"))
    os.symlink(outside, os.path.join(run, "ckpts", "linkdir"))
    shutil.copy(os.path.join(HERE, "base.yaml"), run)
    return s, run


def prepare_ckpt(src, dst, sandbox):
    """Copy a corpus checkpoint, aiming its @SANDBOX@ paths at `sandbox`. A
    validly signed file is re-signed; any other file is copied byte for byte."""
    try:
        ck = Checkpoint.read(src)
        signed = ck.meta.get("checksum") == ck.checksum()
    except Exception:
        signed = False
    if signed:
        for k, v in ck.meta.items():
            ck.meta[k] = v.replace("@SANDBOX@", sandbox)
        ck.write(dst)
    else:
        shutil.copy(src, dst)


def run(cmd, cwd, env, sanitized):
    """(exit code or 128+signal, output, seconds, peak RSS in MiB, timed out)."""
    def limits():
        os.setsid()
        if not sanitized:
            resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    full_env = dict(os.environ, OMP_NUM_THREADS="1", **env)
    if sanitized:
        # ASan aborts on an allocation it cannot serve; the real allocator
        # returns NULL, which is what litc must turn into a status.
        full_env["ASAN_OPTIONS"] = "allocator_may_return_null=1:" + full_env.get("ASAN_OPTIONS", "")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, preexec_fn=limits)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(p.stdout.read()))
    reader.start()
    timed_out = []

    def kill():
        timed_out.append(1)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    timer = threading.Timer(TIME_LIMIT_S * (3 if sanitized else 1), kill)
    timer.start()
    _, status, usage = os.wait4(p.pid, 0)
    timer.cancel()
    reader.join()
    p.returncode = 0
    seconds = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    out = b"".join(c for c in chunks if c).decode("utf-8", "replace")
    return code, out, seconds, usage.ru_maxrss / 1024.0, bool(timed_out)


class Report:
    def __init__(self):
        self.failures = 0

    def fail(self, case, what, out=""):
        self.failures += 1
        tail = "\n".join(out.strip().splitlines()[-6:])
        print("FAIL %s: %s%s" % (case, what, ("\n    " + tail.replace("\n", "\n    ")) if tail else ""))


def check_command(rep, case, label, res, allowed, says, sanitized):
    code, out, secs, rss, timed_out = res
    ok = True
    if timed_out:
        rep.fail(case, "%s did not finish within the time bound (killed after %.0f s)" % (label, secs), out)
        return False
    if rss > RSS_LIMIT_MB * (4 if sanitized else 1):
        rep.fail(case, "%s peaked at %.0f MiB of memory" % (label, rss), out)
        ok = False
    if code not in allowed:
        rep.fail(case, "%s exited %d, expected %s" % (label, code, "/".join(map(str, allowed))), out)
        return False
    if code != 0:
        last = [l for l in out.strip().splitlines() if l.strip()]
        reason = last[-1] if last else ""
        # `litc fit: <reason>` / `valid: no (<reason>)`: a reason must follow.
        if reason.rstrip().endswith(":") or reason.strip() in ("", "litc fit:", "valid: no ()"):
            rep.fail(case, "%s failed without a reason" % label, out)
            ok = False
        if says and says.lower() not in out.lower():
            rep.fail(case, "%s's message does not name %r" % (label, says), out)
            ok = False
    return ok


def check_outside(rep, case, sandbox, before):
    after = snapshot(sandbox, os.path.join(sandbox, "run"))
    if after == before:
        return True
    changed = sorted(set(before.items()) ^ set(after.items()))
    rep.fail(case, "files outside the run's directory changed: %s" % sorted({c[0] for c in changed}))
    return False


def run_cases(args, rep, part, one_case):
    """For each case of `part` ("ckpt" or "config"): a fresh sandbox,
    one_case(name, expectation, sandbox, rundir) -> (ok, summary), then the
    check that nothing outside the run's directory changed."""
    cases = json.load(open(os.path.join(HERE, part, "cases.json")))
    for name in sorted(cases):
        if args.only and args.only != name:
            continue
        sandbox, rundir = make_sandbox()
        try:
            before = snapshot(sandbox, rundir)
            ok, summary = one_case(name, cases[name], sandbox, rundir)
            ok = check_outside(rep, name, sandbox, before) and ok
            if ok:
                print("ok   %s/%s (%s)" % (part, name, summary))
        finally:
            shutil.rmtree(sandbox, ignore_errors=True)


def checkpoint_case(args, rep):
    def one(name, exp, sandbox, rundir):
        case_file = os.path.join(rundir, "case.ckpt")
        prepare_ckpt(os.path.join(HERE, "ckpt", name + ".ckpt"), case_file, sandbox)
        info = run([args.litc, "info", "ckpt", case_file], rundir, {}, args.sanitized)
        ok = check_command(rep, name, "litc info", info, exp["info"], "", args.sanitized)
        fit = run([args.litc, "fit", "--config", "base.yaml", "--ckpt_path", "case.ckpt"], rundir, {}, args.sanitized)
        ok = check_command(rep, name, "litc fit", fit, exp["fit"], exp["says"], args.sanitized) and ok
        if fit[0] == 0:
            res = run([args.litc, "info", "ckpt", os.path.join(rundir, "ckpts", "last.ckpt")], rundir, {},
                      args.sanitized)
            if res[0] != 0:
                rep.fail(name, "the run's last.ckpt is not valid", res[1])
                ok = False
        return ok, "info %d, fit %d in %.1f s, %.0f MiB" % (info[0], fit[0], fit[2], fit[3])
    return one


def config_case(args, rep):
    def one(name, exp, sandbox, rundir):
        cfg = exp.get("path")
        if cfg is None:
            with open(os.path.join(HERE, "config", name + ".yaml"), "rb") as f:
                text = f.read().replace(b"@SANDBOX@", sandbox.encode())
            cfg = os.path.join(rundir, "case.yaml")
            with open(cfg, "wb") as f:
                f.write(text)
        elif cfg == "@FIFO@":
            cfg = os.path.join(rundir, "case.yaml")
            os.mkfifo(cfg)
        for fname, (text, times) in exp.get("make", {}).items():
            with open(os.path.join(rundir, fname), "w") as f:
                f.write(text * times)
        argv = [args.litc, "fit", "--config", cfg] + exp.get("args", [])
        res = run(argv, rundir, exp.get("env", {}), args.sanitized)
        ok = check_command(rep, name, "litc fit", res, exp["fit"], exp.get("says", ""), args.sanitized)
        if ok and res[0] == 0 and exp.get("prints") and exp["prints"] not in res[1]:
            rep.fail(name, "the run did not print %r" % exp["prints"], res[1])
            ok = False
        return ok, "fit %d in %.1f s, %.0f MiB" % (res[0], res[2], res[3])
    return one


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--litc", required=True)
    ap.add_argument("--sanitized", action="store_true", help="an ASan build: no address-space cap, 4x memory")
    ap.add_argument("--only", help="run one case by name")
    ap.add_argument("--part", choices=["ckpt", "config"], help="run only the checkpoints or only the configs")
    args = ap.parse_args()
    args.litc = os.path.abspath(args.litc)
    rep = Report()
    if args.part != "config":
        run_cases(args, rep, "ckpt", checkpoint_case(args, rep))
    if args.part != "ckpt":
        run_cases(args, rep, "config", config_case(args, rep))
    print("%s: %d failure(s)" % ("FAILED" if rep.failures else "passed", rep.failures))
    return 1 if rep.failures else 0


if __name__ == "__main__":
    sys.exit(main())
