package engine

import (
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// ProtoCache shares compiled scripts between engines that load the same files — a daemon
// runs one engine per account, all on the same scripts directory. A compiled script is
// read-only, so the Lua states of every engine can run it; compiling once per file instead
// of once per account saves the compiler's memory and time. It keeps the latest version of
// each file. The zero value is ready to use; it is safe for concurrent use.
type ProtoCache struct {
	mu      sync.Mutex
	entries map[string]protoEntry // by path
}

type protoEntry struct {
	hash  [32]byte
	proto *lua.FunctionProto
}

// compile returns the compiled src of path, compiling it unless the same source was.
func (c *ProtoCache) compile(path string, src []byte, hash [32]byte) (*lua.FunctionProto, error) {
	if c == nil {
		return compile(path, src)
	}
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.hash == hash {
		return e.proto, nil
	}
	proto, err := compile(path, src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]protoEntry)
	}
	c.entries[path] = protoEntry{hash: hash, proto: proto}
	c.mu.Unlock()
	return proto, nil
}
