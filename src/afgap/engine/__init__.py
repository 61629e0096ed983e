"""The collection engine: call plans, the async run, prices, the event loop and JSON on the wire."""
