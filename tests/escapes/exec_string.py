# Tries: run code hidden in a string with exec.
# expect: forbidden-builtin
exec("imp" + "ort os; os.system('id')")
