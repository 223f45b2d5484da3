package db

import (
	"encoding/json"
	"reflect"
	"testing"

	"qunguan/wx"
)

func TestCompactRaw(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"MsgId":"123","Content":"","Status":0,"X":false,"Y":null}`, `{"MsgId":"123"}`},
		{`{ "a" : 1 , "b" : "x" }`, `{"a":1,"b":"x"}`},
		{`{"RecommendInfo":{"UserName":"","QQNum":0},"AppInfo":{"AppID":"","Type":0},"n":1}`, `{"n":1}`},
		{`{"RecommendInfo":{"UserName":"@a","QQNum":0}}`, `{"RecommendInfo":{"UserName":"@a"}}`},
		{`{"Content":"a \"quoted\" , } { ] [ : string\\","z":0}`, `{"Content":"a \"quoted\" , } { ] [ : string\\"}`},
		{`{"NewMsgId":1234567890123456789,"f":0.0,"g":-0,"h":[],"i":[0],"j":{}}`, `{"NewMsgId":1234567890123456789,"f":0.0,"g":-0,"i":[0]}`},
		{`{"Content":"<br/>&amp;"}`, `{"Content":"<br/>&amp;"}`},
		{`{}`, `{}`},
		{"{\n  \"MsgId\" : \"1\",\n  \"Status\": 0 ,\n\t\"R\": { \"a\": \"\" },\n  \"L\": [ 1, {\"x\": 2} ]\n}\n", `{"MsgId":"1","L":[1,{"x":2}]}`},
		{`{"a":1,,"b":2}`, `{"a":1,,"b":2}`},
		{`{"a" 1}`, `{"a" 1}`},
		{`[1,2]`, `[1,2]`},
		{`not json`, `not json`},
		{`{"a":`, `{"a":`},
	} {
		if got := string(compactRaw([]byte(c.in))); got != c.want {
			t.Errorf("compactRaw(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// Whatever the protocol's decoder reads from the compacted entry is what it read from the
// original.
func TestCompactRawKeepsWhatParsersRead(t *testing.T) {
	full := wx.RawMessage{MsgID: "4567", FromUserName: "@@" + "ab", ToUserName: "@cd", MsgType: 49,
		Content: `@ef:<br/>&lt;msg&gt;<appmsg>"x"</appmsg>`, Status: 3, ImgStatus: 1, CreateTime: 1700000000,
		FileName: "a.pdf", FileSize: "1024", AppMsgType: 6, NewMsgID: "9223372036854775807",
		RecommendInfo: wx.RecommendInfo{NickName: "阿杰🏃", Sex: 1}}
	full.AppInfo.Type = 0
	b, _ := json.Marshal(full)
	small := compactRaw(b)
	if len(small) >= len(b)/2 {
		t.Errorf("compacted %d of %d bytes", len(small), len(b))
	}
	var got wx.RawMessage
	if err := json.Unmarshal(small, &got); err != nil {
		t.Fatalf("%s: %v", small, err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Errorf("decoded differently:\n got %+v\nwant %+v", got, full)
	}
}

func FuzzCompactRaw(f *testing.F) {
	f.Add([]byte(`{"a":{"b":"","c":[{"d":0}]},"e":"\"}"}`))
	f.Add([]byte(`{"MsgId":"1","NewMsgId":123,"RecommendInfo":{"QQNum":0}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := compactRaw(in)
		var v any
		if json.Unmarshal(in, &v) != nil {
			return
		}
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("compactRaw(%s) = %s: not JSON: %v", in, out, err)
		}
	})
}
