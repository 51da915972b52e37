# Tries: the help() builtin, whose pager starts a subprocess.
# expect: forbidden-builtin
help(len)
