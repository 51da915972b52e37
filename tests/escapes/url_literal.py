# Tries: a URL for any API that fetches remote data (asset libraries, extension repositories).
# expect: path-literal
remote = "https://example.com/payload.blend"
