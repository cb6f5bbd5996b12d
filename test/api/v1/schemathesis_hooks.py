# Hooks for the OpenAPI fuzz run (openapi-fuzz.test.ts loads this module through SCHEMATHESIS_HOOKS).
#
# An Idempotency-Key scopes a command: the same key with another body is a 422 by contract. The fuzzer repeats small
# keys ("0", "!") across cases with different bodies, so a valid key is made unique per request, keeping what was
# generated after a counter; an invalid one is sent as generated, for the server to refuse.
import itertools
import re

import schemathesis

KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?")
_sent = itertools.count(1)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        return
    prefix = f"fuzz-{next(_sent)}-"
    headers["Idempotency-Key"] = (prefix + key)[:255].rstrip(" ")


# The coverage phase sends a valid invoice for every currency of the enum, each one a workflow run: on two shared
# cores that alone is minutes. It keeps a code of every minor-unit size (0, 2, 3 and 4 decimals) and the common ones;
# the fuzzing phase still draws from the whole enum, and invalid currencies are all sent.
COVERED_CURRENCIES = {"JPY", "BIF", "PLN", "EUR", "USD", "KWD", "BHD", "CLF"}


@schemathesis.hook
def filter_case(context, case):
    meta = case.meta
    if meta is None or meta.phase.name != "coverage" or meta.generation.mode != "positive":
        return True
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("currency"), str) and "customerEmail" in body:
        return body["currency"] in COVERED_CURRENCIES
    return True
