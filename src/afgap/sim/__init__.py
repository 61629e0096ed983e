"""The built-in simulator: model organisms with known truth behind a loopback OpenAI/Anthropic server.

    organisms.py  pure: (organism, messages, seed, sample key) → Reply | Fault
    cues.py       pure: how an organism reads the prompt (condition cue, training conflict, format)
    texts.py      pure: the scratchpads and answers it writes (placeholders only, marked SIMULATED)
    shapes.py     pure: both wire formats' request checks, success and error bodies
    completions.py  pure: the completions endpoint: a document prompt read back into turns, stops, base-faker
    settings.py   SimSettings: port, seed, latency, fault rates; what every way of starting it takes
    server.py     routes and answers; `start_in_thread` for in-process use, `serve_forever` for `sim serve`
    http.py       the HTTP/1.1 protocol (httptools): keep-alive, pipelining, delays, dropped connections
    process.py    the simulator in a child process (benchmarks), handed its SimSettings as JSON

Of all this, `afgap` itself imports only settings.py (light) until a simulator starts, so httptools loads
only when the simulator is used.
"""
