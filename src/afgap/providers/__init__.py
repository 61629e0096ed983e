"""Providers: model strings → endpoints, the three wire formats, and the HTTP the engine sends with.

registry      "prefix/model" → ModelSpec; key lookup; wire modules imported lazily
openai        OpenAI Chat Completions: url, headers, to_wire, from_wire, classify_error (pure)
anthropic     Anthropic Messages: the same five functions (pure)
completions   OpenAI-compatible Completions for base models: the same five functions (pure)
document      chat messages → one document prompt in a scenario's framing, its stop sequences (pure)
prefill       which chat servers continue a prefilled assistant turn, and the refusal for the rest (pure)
wire          what both formats share: afgap's headers, ErrorInfo, the status policy, Retry-After, bodies
clients       HTTP clients (aiohttp by default, httpx as the alternative)
transport     one request until a Completion or a verdict: rpm limit, attempt, stamina retries
conversation  one plan's turns: prefill, <NEXT/> continuations, the CallRecord
pools         per-provider pools: grouping, clients, limits, one-line error messages
download      one public file to disk (a published query set such as AdvBench)
"""
