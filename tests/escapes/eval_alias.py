# Tries: alias eval under another name before calling it.
# expect: forbidden-builtin
run = eval
run("1 + 1")
