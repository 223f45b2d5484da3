package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// httpRequest is a bot.http call, read from Lua on the loop and carried out on a goroutine.
type httpRequest struct {
	method  string
	url     string
	body    []byte
	headers map[string]string
	timeout time.Duration
}

type httpResponse struct {
	status  int
	body    []byte
	headers http.Header
	err     error
}

// httpModule is bot.http. A request suspends the calling handler like bot.sleep: the loop
// goes on with other events and scripts, and resumes the handler with the response.
func (e *Engine) httpModule(L *lua.LState) *lua.LTable {
	mod := L.NewTable()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		call := "bot.http." + strings.ToLower(method)
		mod.RawSetString(strings.ToLower(method), L.NewFunction(func(L *lua.LState) int {
			req, err := e.readHTTPRequest(L, method)
			if err != nil {
				L.RaiseError("%s: %s", call, err)
			}
			act := e.suspend(L, call)
			e.httpInFlight.Add(1)
			go func() {
				defer e.httpInFlight.Add(-1) // after the post: Sync relies on the order
				resp := e.doHTTP(req)
				e.post(func() {
					e.wake(act, func(L *lua.LState) []lua.LValue { return httpResult(L, call, resp) })
				})
			}()
			return L.Yield()
		}))
	}
	return mod
}

func (e *Engine) readHTTPRequest(L *lua.LState, method string) (httpRequest, error) {
	req := httpRequest{method: method, url: L.CheckString(1), timeout: e.opts.HTTPTimeout, headers: map[string]string{}}
	u, err := url.Parse(req.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return req, fmt.Errorf("only http:// and https:// URLs are allowed, not %q", req.url)
	}
	opts := L.OptTable(2, nil)
	if opts == nil {
		return req, nil
	}
	var bad error
	opts.ForEach(func(k, v lua.LValue) {
		switch lua.LVAsString(k) {
		case "json":
			data, err := fromLua(v, 0)
			if err == nil {
				req.body, err = json.Marshal(data)
			}
			if err != nil {
				bad = fmt.Errorf("json: %w", err)
			}
			req.headers["Content-Type"] = "application/json"
		case "body":
			req.body = []byte(lua.LVAsString(v))
		case "headers":
			if t, ok := v.(*lua.LTable); ok {
				t.ForEach(func(hk, hv lua.LValue) { req.headers[lua.LVAsString(hk)] = lua.LVAsString(hv) })
			}
		case "timeout":
			d, err := luaDuration(v)
			if err != nil {
				bad = fmt.Errorf("timeout: %w", err)
			}
			req.timeout = d
		default:
			bad = fmt.Errorf("unknown option %s (options: json, body, headers, timeout)", luaQuote(k))
		}
	})
	return req, bad
}

// doHTTP runs on its own goroutine; it must not touch Lua.
func (e *Engine) doHTTP(r httpRequest) httpResponse {
	ctx, cancel := context.WithTimeout(e.baseCtx, r.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return httpResponse{err: err}
	}
	req.Header.Set("User-Agent", "qunguan")
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no response within %v", r.timeout)
		}
		return httpResponse{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, e.opts.HTTPMaxBody+1))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("response not complete within %v", r.timeout)
		}
		return httpResponse{err: err}
	}
	if int64(len(data)) > e.opts.HTTPMaxBody {
		return httpResponse{err: fmt.Errorf("response larger than %d bytes", e.opts.HTTPMaxBody)}
	}
	return httpResponse{status: resp.StatusCode, body: data, headers: resp.Header}
}

// httpResult is what the handler's bot.http call returns: {status, body, json, headers}, or
// nil and a message.
func httpResult(L *lua.LState, call string, r httpResponse) []lua.LValue {
	if r.err != nil {
		return []lua.LValue{lua.LNil, lua.LString(call + ": " + r.err.Error())}
	}
	t := L.NewTable()
	t.RawSetString("status", lua.LNumber(r.status))
	t.RawSetString("body", lua.LString(r.body))
	if v, err := decodeJSON(r.body); err == nil {
		t.RawSetString("json", jsonToLua(L, v))
	}
	headers := L.NewTable()
	for k := range r.headers {
		headers.RawSetString(strings.ToLower(k), lua.LString(r.headers.Get(k)))
	}
	t.RawSetString("headers", headers)
	return []lua.LValue{t}
}
