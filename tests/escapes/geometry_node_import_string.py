# Tries: add a file-import geometry node by its type name on an existing tree.
# expect: node-group
def add(nodes):
    return nodes.new("GeometryNodeImportCSV")
