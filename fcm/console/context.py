"""The response's Content-Security-Policy nonce as `csp_nonce`, the name django-htmx's script tag reads.

django-csp makes the nonce lazily: a page that never uses it sends none."""


def csp_nonce(request):
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
