package wx

import (
	"net/url"
	"strings"
)

// Login hosts are fixed; the API host comes from the login redirect (PROTOCOL.md §2.1).
const (
	loginHost   = "login.wx.qq.com"      // jslogin, the login poll, webwxpushloginurl's poll
	qrHost      = "login.weixin.qq.com"  // the QR image and the URL it encodes
	defaultHost = "wx.qq.com"            // where jslogin's redirect_uri points
	appID       = "wx782c26e4c19acffb"   // web WeChat's fixed appid
	cgiPath     = "/cgi-bin/mmwebwx-bin" // every API path lives under it
)

// hosts are the three hosts of one login. Every family follows the same rule — webpush. and
// file. prefixed to the API host the redirect named — and hard-coding any of them is the
// classic "synccheck answers 1100 at once" bug.
type hosts struct {
	API  string // wx2.qq.com, web.wechat.com, …
	Push string // synccheck only
	File string // uploads and file downloads
}

func hostsFor(api string) hosts {
	return hosts{API: api, Push: "webpush." + api, File: "file." + api}
}

// hostOf returns the host of the login redirect (the API host of this login).
func hostOf(redirect string) (string, error) {
	u, err := url.Parse(redirect)
	if err != nil || u.Host == "" {
		return "", errMalformed("login redirect", redirect)
	}
	return strings.ToLower(u.Hostname()), nil
}

// cookieDomain is the parent domain webwx_data_ticket is set on: .qq.com, or .wechat.com for
// the international hosts.
func cookieDomain(api string) string {
	if strings.HasSuffix(api, "wechat.com") {
		return ".wechat.com"
	}
	return ".qq.com"
}
