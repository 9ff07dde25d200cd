#!/usr/bin/env python3
"""Read a litc TensorBoard events file with tensorboard's own code and check
it against what the C side wrote next to it (expected.json: file_version,
wall_time, scalars {tag: [[step, value], ...]}, texts {tag: [[step, text]]},
hparams {name: value}, metrics [names]).

  - tensorboard's record reader walks the TFRecord framing (it verifies the
    masked CRC-32Cs) and protobuf parses every Event; each Event must
    re-serialize to exactly the bytes litc wrote (same field order, same
    proto3 defaults left out);
  - EventAccumulator (what the TensorBoard UI reads through) must see the
    scalars, the text and the hparams plugin data.

Exit 0 when everything matches, 1 with a message when not, 77 when the
tensorboard package is not installed (CTest: skipped)."""
import json
import sys

try:
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from tensorboard.util import tensor_util
except Exception as e:  # noqa: BLE001 - any import failure means "no reference"
    print(f"skip: cannot import tensorboard ({e})")
    sys.exit(77)


def records(path):
    """The raw records, with tensorboard's own TFRecord reader (CRC-checked)."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New

    reader = PyRecordReader_New(path.encode() if isinstance(path, str) else path, 0, None)
    out = []
    while True:
        try:
            reader.GetNext()
        except Exception as e:  # noqa: BLE001 - end of file (or a CRC error, counted below)
            if type(e).__name__ != "OutOfRangeError":
                raise
            break
        out.append(reader.record())
    return out


def fail(msg):
    print(f"read_tfevents: {msg}")
    sys.exit(1)


def main(path, expected_path):
    with open(expected_path) as f:
        want = json.load(f)
    raw = records(path)
    if not raw:
        fail("no records")
    for i, r in enumerate(raw):
        ev = event_pb2.Event.FromString(r)
        if ev.SerializeToString() != r:
            fail(f"record {i} does not re-serialize to the same bytes: {ev}")
        if ev.wall_time != want["wall_time"]:
            fail(f"record {i}: wall_time {ev.wall_time}")
    first = event_pb2.Event.FromString(raw[0])
    if first.file_version != want["file_version"]:
        fail(f"first event file_version {first.file_version!r}")

    ea = event_accumulator.EventAccumulator(path, size_guidance={"scalars": 0, "tensors": 0})
    ea.Reload()
    tags = ea.Tags()
    if sorted(tags["scalars"]) != sorted(want["scalars"]):
        fail(f"scalar tags {sorted(tags['scalars'])} != {sorted(want['scalars'])}")
    for tag, points in want["scalars"].items():
        got = [[e.step, e.value] for e in ea.Scalars(tag)]
        if len(got) != len(points) or any(g[0] != p[0] or abs(g[1] - p[1]) > 1e-7 * max(1.0, abs(p[1])) for g, p in zip(got, points)):
            fail(f"scalars {tag}: {got} != {points}")
    for tag, items in want["texts"].items():
        got = [[e.step, tensor_util.make_ndarray(e.tensor_proto).tolist()] for e in ea.Tensors(tag)]
        expect = [[s, [t.encode()]] for s, t in items]
        if got != expect:
            fail(f"text {tag}: {got} != {expect}")
    content = ea.PluginTagToContent("hparams")
    if sorted(content) != ["_hparams_/experiment", "_hparams_/session_end_info", "_hparams_/session_start_info"]:
        fail(f"hparams plugin tags {sorted(content)}")
    exp = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    ssi = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    sei = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"])
    names = [h.name for h in exp.experiment.hparam_infos]
    if names != list(want["hparams"]):
        fail(f"hparam_infos {names}")
    if [m.name.tag for m in exp.experiment.metric_infos] != want["metrics"]:
        fail(f"metric_infos {exp.experiment.metric_infos}")
    for h in exp.experiment.hparam_infos:
        v = want["hparams"][h.name]
        t = "DATA_TYPE_STRING" if isinstance(v, str) else "DATA_TYPE_FLOAT64"
        if h.type != api_pb2.DataType.Value(t):
            fail(f"hparam {h.name} type {h.type}")
        got = ssi.session_start_info.hparams[h.name]
        gv = got.string_value if isinstance(v, str) else got.number_value
        if gv != v:
            fail(f"hparam {h.name}: {gv!r} != {v!r}")
    if sei.session_end_info.status != 1:
        fail(f"session_end_info status {sei.session_end_info.status}")
    print(f"ok: {len(raw)} records read by tensorboard's reader; scalars, text and hparams as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
