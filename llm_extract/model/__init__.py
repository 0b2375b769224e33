"""Stage 3, the model pass: prompts, the OpenAI-compatible client, answer models, the merge.

Importing this package loads nothing heavy: instructor and openai come in with
``model.client``, which only :func:`llm_extract.extract` without ``rules_only`` (and the
evaluation and batch runs that call it) import.
"""
