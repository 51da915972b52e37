# Tries: pass a file path keyword through ** unpacking so no keyword name appears.
# expect: file-io
def run(op, where):
    op(**{"filepath": where})
