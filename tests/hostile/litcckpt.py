"""tests/hostile/litcckpt.py — read, edit and re-sign litc checkpoints in pure
Python (standard library only), as a hostile user would: the CRC-32C checksum
is public, so any edit can be given a valid checksum.

A litc checkpoint is a safetensors file: 8-byte little-endian header length,
a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {key: text}},
then the tensor bytes. Its checksum (metadata "checksum" = "crc32c:%08x") is
CRC-32C over, for each tensor in name order: name NUL, dtype NUL, ndim (1
byte), each dim and nbytes as u64 LE, the bytes; then each metadata entry
but "checksum" in key order: key NUL, value NUL (src/io/checkpoint.c).
"""
import json
import struct

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ (_POLY if _c & 1 else 0)
    _TABLE.append(_c)


def crc32c(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    for b in data:
        c = (c >> 8) ^ _TABLE[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


class Checkpoint:
    """tensors: {name: [dtype, shape list, bytes]}; meta: {key: JSON text}."""

    def __init__(self, tensors, meta):
        self.tensors = tensors
        self.meta = meta

    @classmethod
    def read(cls, path):
        with open(path, "rb") as f:
            blob = f.read()
        (n,) = struct.unpack("<Q", blob[:8])
        header = json.loads(blob[8:8 + n])
        data = blob[8 + n:]
        meta = header.pop("__metadata__", {})
        tensors = {}
        for name, t in header.items():
            a, b = t["data_offsets"]
            tensors[name] = [t["dtype"], list(t["shape"]), data[a:b]]
        return cls(tensors, meta)

    # JSON values of the metadata, decoded and re-encoded
    def get(self, key):
        return json.loads(self.meta[key])

    def set(self, key, value):
        self.meta[key] = json.dumps(value, separators=(",", ":"))

    def checksum(self):
        buf = bytearray()
        for name in sorted(self.tensors):
            dtype, shape, raw = self.tensors[name]
            buf += name.encode() + b"\0" + dtype.encode() + b"\0" + bytes([len(shape)])
            for d in shape:
                buf += struct.pack("<Q", d)
            buf += struct.pack("<Q", len(raw)) + raw
        for key in sorted(k for k in self.meta if k != "checksum"):
            buf += key.encode() + b"\0" + self.meta[key].encode() + b"\0"
        return "crc32c:%08x" % crc32c(bytes(buf))

    def sign(self):
        self.meta["checksum"] = self.checksum()

    def encode(self, sign=True, header_edit=None):
        """The file's bytes. header_edit(dict) may damage the header after
        signing (declared shapes and offsets the checksum does not see)."""
        if sign:
            self.sign()
        header, blob, off = {}, bytearray(), 0
        for name in sorted(self.tensors):
            dtype, shape, raw = self.tensors[name]
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
            blob += raw
            off += len(raw)
        header["__metadata__"] = dict(self.meta)
        if header_edit:
            header_edit(header)
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        return struct.pack("<Q", len(text)) + text + bytes(blob)

    def write(self, path, **kw):
        with open(path, "wb") as f:
            f.write(self.encode(**kw))
