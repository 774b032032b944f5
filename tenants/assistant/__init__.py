"""The AI writing assistant (Enterprise's ``ai`` feature): proposals from any OpenAI-compatible
chat completions API, through the official ``openai`` SDK.

``settings`` reads where the provider is; ``prompts`` builds what is sent (the instructions
apart from the tenant's text, and only what the request needs); ``provider`` streams the
answer and turns every failure into one clear message; ``requests`` counts each request
against the plan's monthly ``ai_requests`` and records the tokens used. Nothing here saves or
publishes anything: the assistant only proposes.
"""
