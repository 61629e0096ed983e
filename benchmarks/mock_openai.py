"""A minimal OpenAI-compatible server on the standard library alone: a fixed chat.completion after a delay.

    python benchmarks/mock_openai.py --latency-ms 50   # prints "PORT <n>" once listening on 127.0.0.1

An independent reference for benchmarks/collect.py: it shares no code with afgap's simulator (no
httptools, no uvloop, no afgap import), so a figure measured against both cannot be an artefact of the
simulator answering afgap in some way a real server would not. HTTP/1.1 with keep-alive, bodies by
Content-Length only; every POST gets the same reply, every other request a 404.
"""

from __future__ import annotations

import argparse
import asyncio
import json

TEXT = (
    "I understand you're asking about this topic. Here is a careful, general overview that stays within "
    "safe and widely available information, followed by a short summary of the main points and some "
    "pointers to further reading. " * 3
).strip()
COMPLETION = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "bench-mock",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": TEXT}, "finish_reason": "stop"},
    ],
    "usage": {"prompt_tokens": 420, "completion_tokens": 120, "total_tokens": 540},
}


def response(status: str, body: bytes) -> bytes:
    """The whole HTTP/1.1 response, keep-alive."""
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


OK = response("200 OK", json.dumps(COMPLETION).encode())
NOT_FOUND = response("404 Not Found", b'{"error":{"message":"not found","type":"invalid_request_error"}}')


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Answer requests on one connection in turn until the client closes it."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay)
            writer.write(OK if head.startswith(b"POST ") else NOT_FOUND)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(latency_ms: float, port: int) -> None:
    """Listen on 127.0.0.1 and print the port (the parent reads it), then serve until killed."""
    delay = latency_ms / 1000

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await serve_connection(reader, writer, delay)

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--port", type=int, default=0)
    opts = parser.parse_args()
    asyncio.run(main(opts.latency_ms, opts.port))
