package wx

import (
	"net/http"
	"net/url"
)

// endpointTransport sends every request to one address (a simulator) while the request keeps
// its real URL and Host header, so the cookie jar and the server both see the real host names:
// login.wx.qq.com, wx2.qq.com, webpush.wx2.qq.com, file.wx2.qq.com.
type endpointTransport struct {
	endpoint *url.URL
	next     http.RoundTripper
}

func (t *endpointTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme = t.endpoint.Scheme
	out.URL.Host = t.endpoint.Host
	return t.next.RoundTrip(out)
}
