-- expect: os_execute.lua:2: unknown name 'os'
os.execute("touch /tmp/dett-sandbox-escaped")
