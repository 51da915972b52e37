# Tries: read a secret with the open builtin.
# expect: forbidden-builtin
secret = open("secret.txt").read()
