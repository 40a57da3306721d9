-- expect: include 'include_recursive.lua': nested more than 16 deep (does a file include itself?)
return include "include_recursive.lua"
