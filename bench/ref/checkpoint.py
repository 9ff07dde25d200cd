#!/usr/bin/env python3
"""PyTorch reference for bench/bench-checkpoint.c.

Saves and loads a Lightning-style training checkpoint of a GPT-2-small-shaped
model (vocab 32000, d 768, 12 blocks; 196 tensors, 110,418,432 f32
parameters) with Adam state (step, exp_avg, exp_avg_sq per parameter), the
dict Lightning's dump_checkpoint builds:

    {"epoch", "global_step", "pytorch-lightning_version", "state_dict",
     "loops", "callbacks", "optimizer_states": [{"state": {i: {...}},
     "param_groups": [...]}], "lr_schedulers", "hyper_parameters"}

Values come from the same integer hash as the C bench (murmur3's fmix32), so
the tensors are bit-identical to litc's.

Validation first:
  - every tensor of litc's file (--litc-file) is read with a pure-Python
    safetensors parser (header JSON + numpy views of the data) and compared
    bit for bit with the values generated here; when the `safetensors`
    package is importable, a few are also read with safe_open(framework="pt");
  - torch.load of this script's own file gives back equal tensors.
Then, in --dir (the same file system as litc's):
  save    torch.save(obj, path), then os.fsync of the file and of the
          directory (torch itself does not fsync; litc's save does, so the
          reference pays for the disk too); also, as notes, torch.save without
          fsync and Lightning's own _atomic_save (torch.save into a BytesIO,
          then one write) + fsync when lightning is importable;
  load    torch.load(path, map_location="cpu", weights_only=True where
          supported), warm (file in the page cache) and cold (its pages
          dropped with posix_fadvise(POSIX_FADV_DONTNEED) first);
  resume  load + Tensor.copy_ of every tensor into preallocated tensors
          (what load_state_dict does) + dropping the loaded dict;
  and, where torch.load has mmap=True, the lazy mmap load and mmap + copy.
Peak RSS rise: VmHWM over the RSS before each phase (/proc/self/clear_refs).

Prints "key value" lines that bench-checkpoint.c parses, "validate ..." and
"note ..." lines it passes on, or "skip <reason>" (exit 0) when torch or numpy
cannot be imported.
"""
import argparse
import gc
import inspect
import json
import os
import resource
import statistics
import sys
import time

try:
    import numpy as np
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip cannot import torch/numpy ({e.__class__.__name__}: {e})")
    sys.exit(0)

D_MODEL, D_FF, N_LAYERS, VOCAB, CTX = 768, 3072, 12, 32000, 1024
SLOT_BOUND = (0.02, 1e-3, 1e-6)  # weights, exp_avg, exp_avg_sq (bench-checkpoint.c)
ADAM_STEP = 1000.0


def model_spec():
    """(name, shape) of every parameter, in bench-checkpoint.c's build_spec order."""
    spec = [("wte.weight", (VOCAB, D_MODEL)), ("wpe.weight", (CTX, D_MODEL))]
    for b in range(N_LAYERS):
        p = f"blocks.{b}."
        spec += [(p + "ln1.weight", (D_MODEL,)), (p + "ln1.bias", (D_MODEL,))]
        for j in "qkvo":
            spec += [(p + f"attn.{j}.weight", (D_MODEL, D_MODEL)), (p + f"attn.{j}.bias", (D_MODEL,))]
        spec += [(p + "ln2.weight", (D_MODEL,)), (p + "ln2.bias", (D_MODEL,)),
                 (p + "mlp.fc1.weight", (D_FF, D_MODEL)), (p + "mlp.fc1.bias", (D_FF,)),
                 (p + "mlp.fc2.weight", (D_MODEL, D_FF)), (p + "mlp.fc2.bias", (D_MODEL,))]
    spec += [("ln_f.weight", (D_MODEL,)), ("ln_f.bias", (D_MODEL,))]
    return spec


def fmix32(h):
    """murmur3 finaliser on a uint32 array, in place where possible (wraps like C)."""
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def hash_fill(seed, shape, slot):
    """bench-checkpoint.c's hash_fill for parameter k, slot s (seed 3k + s + 1)."""
    n = int(np.prod(shape)) if shape else 1
    s = fmix32(np.array([seed], dtype=np.uint32))[0]
    h = np.arange(n, dtype=np.uint32)
    h ^= s
    u = (fmix32(h) >> np.uint32(8)).astype(np.float32)
    del h
    u *= np.float32(2.0 ** -24)
    bound = np.float32(SLOT_BOUND[slot])
    if slot == 2:
        u *= bound
    else:
        u *= np.float32(2.0)
        u -= np.float32(1.0)
        u *= bound
    return u.reshape(shape)


def make_tensors(spec):
    """{slot: [tensor per parameter]} for slots 0..2, and the 0-d steps."""
    with np.errstate(over="ignore"):
        slots = [[torch.from_numpy(hash_fill(3 * k + s + 1, shape, s)) for k, (_, shape) in enumerate(spec)]
                 for s in range(3)]
    steps = [torch.tensor(ADAM_STEP, dtype=torch.float32) for _ in spec]
    return slots, steps


def make_checkpoint(spec, slots, steps):
    """The dict Lightning's _CheckpointConnector.dump_checkpoint returns for this run."""
    state = {k: {"step": steps[k], "exp_avg": slots[1][k], "exp_avg_sq": slots[2][k]} for k in range(len(spec))}
    return {
        "epoch": 3,
        "global_step": 1000,
        "pytorch-lightning_version": "2.0.9",
        "state_dict": dict((name, slots[0][k]) for k, (name, _) in enumerate(spec)),
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"current": {"completed": 3}},
                               "epoch_loop.batch_progress": {"current": {"completed": 250}}}},
        "callbacks": {},
        "optimizer_states": [{
            "state": state,
            "param_groups": [{"lr": 3e-4, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                              "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                              "differentiable": False, "fused": None, "params": list(range(len(spec)))}],
        }],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": {"d_model": D_MODEL, "n_layers": N_LAYERS, "vocab": VOCAB},
    }


def litc_key(spec, k, slot):
    name = spec[k][0]
    return f"state_dict.{name}" if slot == 0 else f"optimizer_states.0.{('exp_avg', 'exp_avg_sq')[slot - 1]}.{name}"


# ---------------------------------------------------------------- validation


def read_safetensors(path):
    """Pure-Python safetensors reader: (metadata, {name: numpy array view})."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", f"{name}: dtype {e['dtype']}"
        a, b = e["data_offsets"]
        out[name] = mm[a:b].view(np.float32).reshape(e["shape"])
    return meta, out


def validate_litc_file(path, spec, slots, steps):
    meta, ts = read_safetensors(path)
    bad, n = [], 0
    for k, (name, shape) in enumerate(spec):
        for s in range(3):
            key = litc_key(spec, k, s)
            got = ts.get(key)
            n += 1
            if got is None or tuple(got.shape) != shape or not np.array_equal(got, slots[s][k].numpy()):
                bad.append(key)
        key = f"optimizer_states.0.step.{name}"
        n += 1
        got = ts.get(key)
        if got is None or got.shape != () or got.item() != ADAM_STEP:
            bad.append(key)
    extra = len(ts) - n
    ok = not bad and extra == 0 and meta.get("format") == "litc-checkpoint" and meta.get("epoch") == "3"
    print(f"validate litc's file read by a pure-Python safetensors parser: {n} tensors, {len(bad)} differ"
          f"{' (' + ', '.join(bad[:3]) + ')' if bad else ''}, {extra} unexpected, format "
          f"{meta.get('format')!r}, checksum {meta.get('checksum')!r} {'ok' if ok else 'FAIL'}")
    del ts
    try:
        from safetensors import safe_open
    except Exception:  # noqa: BLE001
        print("note safetensors package not importable: only the pure-Python parser read litc's file")
        return ok
    picks = [(0, 0), (1, 0), (2, 0), (5, 1), (len(spec) - 1, 2), (len(spec) // 2, 2)]
    same = 0
    with safe_open(path, framework="pt") as f:
        for k, s in picks:
            same += torch.equal(f.get_tensor(litc_key(spec, k, s)), slots[s][k])
        step = f.get_tensor(f"optimizer_states.0.step.{spec[0][0]}")
    ok2 = same == len(picks) and step.item() == ADAM_STEP
    print(f"validate litc's file read by safetensors.safe_open(framework='pt'): {same}/{len(picks)} tensors "
          f"equal (wte, wpe, a layer norm, an exp_avg, two exp_avg_sq), step {step.item()} {'ok' if ok2 else 'FAIL'}")
    return ok and ok2


def all_tensors(ck):
    """Loaded checkpoint -> list of tensors, in the order of dests()."""
    sd = ck["state_dict"]
    st = ck["optimizer_states"][0]["state"]
    return list(sd.values()) + [st[k][s] for k in sorted(st) for s in ("step", "exp_avg", "exp_avg_sq")]


# ---------------------------------------------------------------- measurement


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def reset_peak():
    """Reset VmHWM to the current RSS; returns that RSS in KiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return status_kb("VmRSS")


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def drop_cache(path):
    """posix_fadvise(DONTNEED) on the clean file; returns the fraction still resident."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    try:
        import ctypes
        import mmap
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long)
        libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
        libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
        size = os.path.getsize(path)
        npages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        vec = (ctypes.c_ubyte * npages)()
        fd = os.open(path, os.O_RDONLY)
        try:
            addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        finally:
            os.close(fd)
        if addr in (None, ctypes.c_void_p(-1).value):
            return -1.0
        rc = libc.mincore(addr, size, vec)
        libc.munmap(addr, size)
        if rc != 0:
            return -1.0
        return float((np.frombuffer(vec, dtype=np.uint8) & 1).sum()) / npages
    except Exception:  # noqa: BLE001
        return -1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True, help="directory for the checkpoint file (same fs as litc's)")
    ap.add_argument("--litc-file", help="litc's checkpoint, to validate")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cold-repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch_version {torch.__version__}")

    spec = model_spec()
    slots, steps = make_tensors(spec)
    ck = make_checkpoint(spec, slots, steps)
    ok = True
    if a.litc_file:
        ok = validate_litc_file(a.litc_file, spec, slots, steps)

    load_params = inspect.signature(torch.load).parameters
    kw = {"map_location": "cpu"}
    if "weights_only" in load_params:
        kw["weights_only"] = True
    has_mmap = "mmap" in load_params
    path = os.path.join(a.dir, "torch.ckpt")

    def save():
        torch.save(ck, path)
        fsync_path(path)

    # ---- first save, then validate the round trip
    base = reset_peak()
    t0 = time.perf_counter()
    save()
    save_first = time.perf_counter() - t0
    save_peak = status_kb("VmHWM") - base
    src = all_tensors(ck)
    try:
        back = torch.load(path, **kw)
    except Exception as e:  # noqa: BLE001 - torch 1.13's weights_only unpickler refuses this dict
        if not kw.get("weights_only"):
            raise
        print(f"note torch.load(weights_only=True) refused the checkpoint ({e.__class__.__name__}); "
              f"timing weights_only=False")
        kw["weights_only"] = False
        back = torch.load(path, **kw)
    print(f"weights_only {kw.get('weights_only', 'n/a')}")
    got = all_tensors(back)
    same = sum(torch.equal(x, y) for x, y in zip(src, got))
    rt_ok = same == len(src) == 4 * len(spec) and back["epoch"] == 3 and back["global_step"] == 1000
    print(f"validate torch.load of torch.save's file: {same}/{len(src)} tensors equal {'ok' if rt_ok else 'FAIL'}")
    del back, got
    ok = ok and rt_ok

    saves = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        save()
        saves.append(time.perf_counter() - t0)
    nofsync = []
    for _ in range(min(a.repeats, 3)):
        t0 = time.perf_counter()
        torch.save(ck, path)
        nofsync.append(time.perf_counter() - t0)
    fsync_path(path)
    file_bytes = os.path.getsize(path)

    # destinations, touched
    dst = [torch.full_like(t, -1.0) for t in src]

    def resume(mmap=False):
        """(load seconds, resume seconds, peak RSS rise KiB)."""
        gc.collect()
        base = reset_peak()
        t0 = time.perf_counter()
        loaded = torch.load(path, mmap=True, **kw) if mmap else torch.load(path, **kw)
        t1 = time.perf_counter()
        with torch.no_grad():
            for d, s in zip(dst, all_tensors(loaded)):
                d.copy_(s)
        del loaded
        t2 = time.perf_counter()
        return t1 - t0, t2 - t0, status_kb("VmHWM") - base

    res = {}
    resident = 0.0
    for mmap in ((False, True) if has_mmap else (False,)):
        for cold in (False, True):
            runs = []
            for _ in range(a.cold_repeats if cold else a.repeats):
                if cold:
                    resident = max(resident, drop_cache(path))
                runs.append(resume(mmap))
            res[mmap, cold] = runs
    resume_ok = all(torch.equal(d, s) for d, s in zip(dst, src))
    print(f"validate resume copies equal the saved tensors {'ok' if resume_ok else 'FAIL'}")
    ok = ok and resume_ok

    peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the Lightning note
    del dst
    lightning_save = None
    try:
        from lightning.fabric.utilities.cloud_io import _atomic_save
    except Exception:  # noqa: BLE001
        _atomic_save = None
    lightning_peak = 0
    if _atomic_save is not None:
        lightning_save = []
        lpath = os.path.join(a.dir, "lightning.ckpt")
        for _ in range(min(a.repeats, 3)):
            gc.collect()
            base = reset_peak()
            t0 = time.perf_counter()
            _atomic_save(ck, lpath)
            fsync_path(lpath)
            lightning_save.append(time.perf_counter() - t0)
            lightning_peak = max(lightning_peak, status_kb("VmHWM") - base)
        os.unlink(lpath)

    def med(runs, i):
        return statistics.median(r[i] for r in runs)

    fmt = lambda v: " ".join(f"{x:.3f}" for x in v)  # noqa: E731
    print(f"note samples (s): save+fsync {fmt(saves)}; load warm {fmt(r[0] for r in res[False, False])}; "
          f"load cold {fmt(r[0] for r in res[False, True])}; resume warm {fmt(r[1] for r in res[False, False])}; "
          f"resume cold {fmt(r[1] for r in res[False, True])}")
    print(f"save_first_s {save_first:.6f}")
    print(f"save_s {statistics.median(saves):.6f}")
    print(f"save_nofsync_s {statistics.median(nofsync):.6f}")
    if lightning_save:
        print(f"lightning_save_s {statistics.median(lightning_save):.6f}")
        print(f"lightning_save_peak_kb {lightning_peak}")
    print(f"load_warm_s {med(res[False, False], 0):.6f}")
    print(f"load_cold_s {med(res[False, True], 0):.6f}")
    print(f"resume_warm_s {med(res[False, False], 1):.6f}")
    print(f"resume_cold_s {med(res[False, True], 1):.6f}")
    print(f"load_peak_kb {max(r[2] for r in res[False, False] + res[False, True])}")
    if has_mmap:
        print(f"mmap_load_warm_s {med(res[True, False], 0):.6f}")
        print(f"mmap_resume_warm_s {med(res[True, False], 1):.6f}")
        print(f"mmap_resume_cold_s {med(res[True, True], 1):.6f}")
        print(f"mmap_load_peak_kb {max(r[2] for r in res[True, False] + res[True, True])}")
    print(f"file_bytes {file_bytes}")
    print(f"save_peak_kb {save_peak}")
    print(f"cold_resident {resident:.4f}")
    print(f"peak_rss_kb {peak_rss_kb}")
    os.unlink(path)
    if not ok:
        print("validate FAIL: see above")
        sys.exit(1)


if __name__ == "__main__":
    main()
