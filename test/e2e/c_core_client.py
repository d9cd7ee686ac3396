"""Proxyless gRPC C-core client (Debian python3-grpcio) for c-core.test.ts; bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG.

Usage: c_core_client.py xds:///<host>. Each stdin line {"method", "n", "deadline"} makes n unary calls on
one channel (kept, so xDS updates apply) and prints a JSON list of {"ok", "backend"} or {"ok", "code", "details"}.
No generated code: echo.EchoRequest/EchoReply hold only strings, encoded here by hand.
"""
import json
import sys

import grpc


def varint(n):
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def encode_request(text):  # EchoRequest.message = 1
    data = text.encode()
    return b"\x0a" + varint(len(data)) + data


def decode_backend(data):  # EchoReply.backend = 1; every field is tag, varint length, bytes
    i = 0
    while i < len(data):
        tag, size, shift = data[i], 0, 0
        i += 1
        while True:
            size |= (data[i] & 0x7F) << shift
            shift, i = shift + 7, i + 1
            if data[i - 1] < 0x80:
                break
        if tag == 0x0A:
            return data[i : i + size].decode()
        i += size
    return ""


channel = grpc.insecure_channel(sys.argv[1])
for line in sys.stdin:
    cmd = json.loads(line)
    rpc = channel.unary_unary(cmd["method"], request_serializer=encode_request, response_deserializer=decode_backend)
    replies = []
    for _ in range(cmd["n"]):
        try:
            replies.append({"ok": True, "backend": rpc("ping", timeout=cmd["deadline"])})
        except grpc.RpcError as error:
            replies.append({"ok": False, "code": error.code().name, "details": error.details()})
    print(json.dumps(replies), flush=True)
