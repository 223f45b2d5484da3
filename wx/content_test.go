package wx

import (
	"strings"
	"testing"
)

func TestDecodeContent(t *testing.T) {
	span := func(hex string) string { return `<span class="emoji emoji` + hex + `"></span>` }
	cases := []struct{ name, in, want string }{
		{"plain", "hello 你好", "hello 你好"},
		{"protocol example", "5 &gt; 3 &amp; " + span("1f602") + "<br/>ok", "5 > 3 & \U0001F602\nok"},
		{"escaped text", "明早8点出发&lt;别迟到&gt;<br/>带水[微笑]", "明早8点出发<别迟到>\n带水[微笑]"},
		{"entities only", "a &amp; b &quot;c&quot; &#39;d&#39;", `a & b "c" 'd'`},
		{"double escaped stays once escaped", "&amp;lt;b&amp;gt;", "&lt;b&gt;"},
		{"several breaks", "a<br/><br/>b<br/>", "a\n\nb\n"},
		{"bmp 4 hex", span("2764") + span("2600"), "\u2764\u2600"},
		{"5 hex", span("1f37a"), "\U0001F37A"},
		{"keycap 2+4", span("3120e3"), "1\u20e3"},
		{"hash keycap 2+4", span("2320e3"), "#\u20e3"},
		{"flag 5+5", span("1f1e81f1f3"), "\U0001F1E8\U0001F1F3"},
		{"uppercase hex", span("1F602"), "\U0001F602"},
		{"quirk 1f63c", span("1f63c"), "\U0001F601"},
		{"quirk 1f639", span("1f639"), "\U0001F602"},
		{"quirk 1f63a", span("1f63a"), "\U0001F603"},
		{"quirk 1f4ab", span("1f4ab"), "\U0001F616"},
		{"quirk 1f64d", span("1f64d"), "\U0001F614"},
		{"quirk 1f63b", span("1f63b"), "\U0001F60D"},
		{"quirk 1f63d", span("1f63d"), "\U0001F618"},
		{"quirk 1f64e", span("1f64e"), "\U0001F621"},
		{"quirk 1f63f", span("1f63f"), "\U0001F622"},
		{"1f450 missing > at end", `鼓掌<span class="emoji emoji1f450"></span`, "鼓掌\U0001F450"},
		{"1f450 missing > mid text", `<span class="emoji emoji1f450"></span欢迎`, "\U0001F450欢迎"},
		{"typed span stays text", `&lt;span class="emoji emoji1f602"&gt;&lt;/span&gt;`, `<span class="emoji emoji1f602"></span>`},
		{"typed br stays text", "a&lt;br/&gt;b", "a<br/>b"},
		{"surrogate is not an emoji", span("d800"), span("d800")},
		{"7 hex not observed", span("1f6021f"), span("1f6021f")},
		{"no digits", `<span class="emoji emoji"></span>`, `<span class="emoji emoji"></span>`},
		{"other span", `<span class="x">y</span>`, `<span class="x">y</span>`},
		{"entity next to span", "&amp;" + span("1f602") + "&lt;", "&\U0001F602<"},
		// A span that names '&' must not join the following text into an entity.
		{"span decoding to ampersand", span("0026") + "lt;", "&lt;"},
		{"lone ampersand", "AT&T", "AT&T"},
		{"qq faces", "[微笑][得意]", "[微笑][得意]"},
	}
	for _, c := range cases {
		if got := DecodeContent(c.in); got != c.want {
			t.Errorf("%s: DecodeContent(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestDecodeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{`阿杰<span class="emoji emoji1f3c3"></span>`, "阿杰\U0001F3C3"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"R&amp;D<br/>", "R&D<br/>"}, // names have no line breaks: <br/> is not translated
		{"", ""},
	}
	for _, c := range cases {
		if got := DecodeName(c.in); got != c.want {
			t.Errorf("DecodeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestXMLPayload(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"escaped compact", "&lt;msg&gt;&lt;img length=\"1\" /&gt;&lt;/msg&gt;", `<msg><img length="1" /></msg>`},
		{"pretty with br and tabs", "&lt;msg&gt;<br/>\t&lt;a /&gt;<br/>&lt;/msg&gt;<br/>", "<msg>\n\t<a />\n</msg>"},
		{"quote inside value", `&lt;msg a="x &amp;quot;y&amp;quot;" /&gt;`, `<msg a="x &quot;y&quot;" />`},
		{"ampersand in url", "&lt;url&gt;a?b=1&amp;amp;c=2&lt;/url&gt;", "<url>a?b=1&amp;c=2</url>"},
		{"span in attribute", `&lt;msg nickname="阿杰<span class="emoji emoji1f3c3"></span>" /&gt;`, "<msg nickname=\"阿杰\U0001F3C3\" />"},
		{"span naming a quote", `&lt;msg a="<span class="emoji emoji0022"></span>" /&gt;`, `<msg a="&quot;" />`},
		{"raw xml untouched", "<?xml version=\"1.0\"?>\n<msg>\n\t<location x=\"1\" />\n</msg>\n", "<?xml version=\"1.0\"?>\n<msg>\n\t<location x=\"1\" />\n</msg>"},
		{"raw xml amp kept", `<msg a="x&amp;y" />`, `<msg a="x&amp;y" />`},
	}
	for _, c := range cases {
		if got := xmlPayload(c.in); got != c.want {
			t.Errorf("%s: xmlPayload(%q) =\n%q, want\n%q", c.name, c.in, got, c.want)
		}
	}
}

func BenchmarkDecodeContent(b *testing.B) {
	s := strings.Repeat(`今晚谁去<span class="emoji emoji1f37a"></span>&lt;8点&gt;<br/>`, 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		DecodeContent(s)
	}
}

func BenchmarkDecodeContentPlain(b *testing.B) {
	s := "明早几点出发，大家记得带水和雨具"
	b.ReportAllocs()
	for b.Loop() {
		DecodeContent(s)
	}
}
