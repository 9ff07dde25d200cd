#!/usr/bin/env python3
"""tests/hostile/gen-configs.py — write the committed corpus of hostile
configs (tests/hostile/config/*.yaml) and their manifest (config/cases.json).

    python3 tests/hostile/gen-configs.py

run-corpus.py runs each as `litc fit --config FILE [args]` with the case's
environment, in a scratch folder (@SANDBOX@ is that folder). Expectations:
  fit:    the exit codes allowed (0 ok, 1 out of memory/internal, 2 config, 3 data/checkpoint/I/O)
  says:   words the message must contain when it fails
  prints: words a successful run must print (e.g. how many epochs it ran)
  path:   "@FIFO@" to run on a FIFO, or a device file, instead of a file here
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "config")

# A small, fast run; cases append or override keys.
BASE = """seed_everything: 3
trainer:
  max_epochs: 1
  limit_train_batches: 2
  limit_val_batches: 1
  enable_progress_bar: false
  enable_model_summary: false
  enable_checkpointing: false
model:
  class_path: DigitsModule
  init_args:
    hidden: %(hidden)s
    lr: %(lr)s
data:
  class_path: DigitsDataModule
  init_args:
    batch_size: %(batch)s
%(data_extra)s"""


def base(hidden="[16, 8]", lr="0.01", batch="16", data_extra="", trainer_extra=""):
    text = BASE % dict(hidden=hidden, lr=lr, batch=batch, data_extra=data_extra)
    if trainer_extra:
        text = text.replace("trainer:\n", "trainer:\n" + trainer_extra)
    return text


def with_trainer(line):
    """base() with one trainer key replaced (or added)."""
    key = line.split(":")[0].strip()
    lines = [l for l in base().splitlines() if l.strip().split(":")[0] != key or not l.startswith("  ")]
    i = lines.index("trainer:")
    lines.insert(i + 1, "  " + line)
    return "\n".join(lines) + "\n"


def alias_bomb(levels=9, fan=10):
    """The billion laughs: each level lists the previous one `fan` times."""
    out = ['l0: &l0 "%s"' % ("laugh" * 20)]
    for i in range(1, levels + 1):
        out.append("l%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * fan)))
    return base() + "\n".join(out) + "\n"


def alias_string_bomb():
    """Few nodes, many bytes: a 256 KiB string aliased 4 times per level."""
    out = ['s0: &s0 "%s"' % ("x" * (256 * 1024))]
    for i in range(1, 8):
        out.append("s%d: &s%d [*s%d, *s%d, *s%d, *s%d]" % (i, i, i - 1, i - 1, i - 1, i - 1))
    return base() + "\n".join(out) + "\n"


def interpolation_bomb(levels=12, fan=8):
    """${} doubling: each key interpolates the previous one `fan` times."""
    out = ['notes:\n  k0: "%s"' % ("boom" * 8)]
    for i in range(1, levels + 1):
        out.append('  k%d: "%s"' % (i, "".join("${notes.k%d}" % (i - 1) for _ in range(fan))))
    return base() + "\n".join(out) + "\n"


def interpolation_used_bomb():
    """The bomb's last key is used by a real field (forcing its expansion)."""
    text = interpolation_bomb()
    return text + "extra: ${notes.k12}\n"


def interpolation_chain(n=5000):
    lines = ["chain:"] + ["  c%d: ${chain.c%d}" % (i, i + 1) for i in range(n)] + ["  c%d: 1" % n]
    return base().replace("max_epochs: 1", "max_epochs: ${chain.c0}") + "\n".join(lines) + "\n"


def nesting(depth=100000):
    return base() + "deep: " + "[" * depth + "]" * depth + "\n"


C = {}


def case(name, text, fit, says="", prints="", env=None, args=None, path=None):
    C[name] = dict(text=text, fit=fit, says=says, prints=prints, env=env or {}, args=args or [], path=path)


ERR = [2, 3]
# 10. memory bombs: bounded in bytes, depth and work, with a clear error
case("bomb-alias-billion-laughs", alias_bomb(), ERR, "alias")
case("bomb-alias-strings", alias_string_bomb(), ERR, "alias")
case("bomb-interpolation", interpolation_used_bomb(), ERR, "interpolation")
case("bomb-interpolation-chain", interpolation_chain(), ERR, "interpolations")
case("bomb-nesting", nesting(), ERR, "nesting")
case("interpolation-cycle", base().replace("max_epochs: 1", "max_epochs: ${trainer.max_epochs}"), ERR, "max_epochs")
# 5. extreme numbers: refused with the key named, never wrapped or truncated
case("num-max-epochs-1e400", with_trainer("max_epochs: 1e400"), ERR, "max_epochs")
case("num-max-epochs-2p63", with_trainer("max_epochs: 9223372036854775808"), ERR, "max_epochs")
case("num-max-epochs-int64max", with_trainer("max_epochs: 9223372036854775807"), ERR, "max_epochs")
case("num-max-steps-int64min", with_trainer("max_steps: -9223372036854775808"), ERR, "max_steps")
case("num-limit-batches-nan", with_trainer("limit_train_batches: .nan"), ERR, "limit_train_batches")
case("num-clip-neg-inf", with_trainer("gradient_clip_val: -.inf"), ERR, "gradient_clip_val")
case("num-accumulate-2p62", with_trainer("accumulate_grad_batches: 4611686018427387904"), ERR,
     "accumulate_grad_batches")  # counts stop at 2^53-1, what a checkpoint can hold
case("num-max-steps-2p53", with_trainer("max_steps: 9007199254740992"), ERR, "max_steps")
case("num-log-every-zero", with_trainer("log_every_n_steps: 0"), [0], prints="fit: 1 epochs")  # allowed: no step logs
case("num-val-check-zero", with_trainer("val_check_interval: 0"), ERR, "val_check_interval")
case("num-seed-2p64", base().replace("seed_everything: 3", "seed_everything: 18446744073709551616"), ERR,
     "seed_everything")
case("num-batch-zero", base(batch="0"), ERR, "batch size")
case("num-batch-2p62", base(batch="4611686018427387904"), [0], prints="fit: 1 epochs")  # one batch of all rows
case("num-lr-nan", base(lr=".nan"), ERR, "learning rate")
# 6. allocation failure is a status naming the tensor and its size
# (exit 1: out of memory is the machine's limit, not a config or data error)
case("oom-hidden-100000", base(hidden="[100000, 100000]"), [1], "out of memory allocating parameter")
case("oom-hidden-2p40", base(hidden="[1099511627776, 1]"), [1], "out of memory allocating parameter")
# 7. an empty LIT_TRAINER_* variable is not null: the config's 1 epoch runs
case("env-empty-max-epochs", base(), [0], prints="fit: 1 epochs", env={"LIT_TRAINER_MAX_EPOCHS": ""})
case("env-empty-max-steps", base(), [0], prints="fit: 1 epochs", env={"LIT_TRAINER_MAX_STEPS": ""})
case("env-garbage-max-epochs", base(), ERR, "LIT_TRAINER_MAX_EPOCHS", env={"LIT_TRAINER_MAX_EPOCHS": "1e999"})
# 8. device files and FIFOs as data or config: refused, never read forever
case("data-dev-zero", base(data_extra="    data_path: /dev/zero\n"), ERR, "/dev/zero")
case("data-dev-urandom", base(data_extra="    data_path: /dev/urandom\n"), ERR, "/dev/urandom")
case("data-directory", base(data_extra="    data_path: @SANDBOX@/outside\n"), ERR, "outside")
case("data-long-line", None, ERR, "line")
case("config-dev-zero", None, ERR, "/dev/zero", path="/dev/zero")
case("config-fifo", None, ERR, "case.yaml", path="@FIFO@")
# bytes a YAML file should not hold
case("yaml-invalid-utf8", base() + "bad: \"\xff\xfe\"\n", ERR, "")
case("yaml-nul-byte", base() + "bad: a\0b\n", ERR, "")


def data_long_line():
    """A digits file whose first line never ends (4 MiB of digits)."""
    return base(data_extra="    data_path: @SANDBOX@/run/long.csv\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    manifest = {}
    for name, c in C.items():
        text = c.pop("text")
        if name == "data-long-line":
            text = data_long_line()
            c["make"] = {"long.csv": ["1,", 2 << 20]}  # text, repeated
        if text is not None:
            with open(os.path.join(OUT, name + ".yaml"), "wb") as f:
                f.write(text.encode("latin-1") if "\xff" in text else text.encode())
        manifest[name] = {k: v for k, v in c.items() if v not in ("", [], {}, None) or k == "fit"}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d hostile configs to %s" % (len(manifest), OUT))


if __name__ == "__main__":
    main()
