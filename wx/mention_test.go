package wx

import (
	"slices"
	"testing"
)

func TestMentions(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		{"@管家\u2005明早几点出发", []string{"管家"}},
		{"@wuli客服\u2005和@小桔\u2005是好朋友", []string{"wuli客服", "小桔"}},
		{"@管家 明早几点出发", []string{"管家"}},
		{"明早几点出发@管家", []string{"管家"}},
		{"@管家\n明早", []string{"管家"}},
		{"@Tom Lee\u2005hi", []string{"Tom Lee"}},       // the mobile separator keeps spaces in names
		{"@Tom hi @Amy\u2005", []string{"Tom", "Amy"}},  // a later separator belongs to a later mention
		{"@R&D助手 查一下", []string{"R&D助手"}},               // & in a name
		{"@a@b\u2005你好", []string{"a@b"}},               // @ in a name
		{"@\U0001F338\u2005好看", []string{"\U0001F338"}}, // an emoji-only name
		{"hi@管家\u2005在吗", []string{"管家"}},               // the mobile form counts wherever it starts
		{"hi@管家 在吗", nil},
		{"@_@ 好累", nil},
		{"@_@", nil},
		{"写信给 user@example.com 吧", nil},
		{"user@example.com", nil},
		{"@", nil},
		{"@ 空", nil},
		{"没有提到谁", nil},
		{"@这是一个非常非常非常非常非常非常非常非常非常长的句子而不是一个名字因为它超过了三十二个字", nil},
	}
	for _, c := range cases {
		if got := Mentions(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Mentions(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestIsMentioned(t *testing.T) {
	cases := []struct {
		text, name string
		want       bool
	}{
		{"@管家\u2005明早几点出发", "管家", true},
		{"@管家 明早几点出发", "管家", true},
		{"明早几点出发？@管家", "管家", true},
		{"@管家\n明早", "管家", true},
		{"和@管家\u2005说", "管家", true},
		{"@管家婆 你好", "管家", false},
		{"@管家婆 @管家 你好", "管家", true}, // the second one counts
		{"管家 你好", "管家", false},
		{"@小管家\u2005签到", "管家", false},
		{"guanjia@管家 ", "管家", false},     // inside an address-like word
		{"guanjia@管家\u2005", "管家", true}, // but the mobile separator makes it a mention
		{"@R&D助手 查", "R&D助手", true},
		{"@a@b 你好", "a@b", true},
		{"@管家\U0001F916\u2005在吗", "管家\U0001F916", true},
		{"@管家\U0001F916\u2005在吗", "管家", false},
		{"@管家", "", false},
		{"", "管家", false},
	}
	for _, c := range cases {
		if got := IsMentioned(c.text, c.name); got != c.want {
			t.Errorf("IsMentioned(%q, %q) = %v, want %v", c.text, c.name, got, c.want)
		}
	}
}

func TestStripMention(t *testing.T) {
	cases := []struct{ text, name, want string }{
		{"@管家\u2005明早几点出发", "管家", "明早几点出发"},
		{"@管家 明早几点出发", "管家", "明早几点出发"},
		{"请@管家\u2005查一下", "管家", "请查一下"},
		{"天气如何@管家", "管家", "天气如何"},
		{"@管家 @管家\u2005在吗", "管家", "在吗"},
		{"@管家婆 你好", "管家", "@管家婆 你好"},
		{"  没有提到  ", "管家", "没有提到"},
		{"@管家\u2005", "管家", ""},
		{"@小桔\u2005@管家\u2005帮她查", "管家", "@小桔\u2005帮她查"},
	}
	for _, c := range cases {
		if got := StripMention(c.text, c.name); got != c.want {
			t.Errorf("StripMention(%q, %q) = %q, want %q", c.text, c.name, got, c.want)
		}
	}
}

func TestMentionTextRoundTrip(t *testing.T) {
	for _, name := range []string{"管家", "R&D助手", "Tom Lee", "\U0001F338卷卷卷\U0001F338"} {
		text := MentionText(name) + "你好"
		if want := "@" + name + "\u2005你好"; text != want {
			t.Errorf("MentionText(%q) = %q", name, text)
		}
		if !IsMentioned(text, name) {
			t.Errorf("IsMentioned(MentionText(%q)) = false", name)
		}
		if got := Mentions(text); !slices.Equal(got, []string{name}) {
			t.Errorf("Mentions(MentionText(%q)) = %q", name, got)
		}
		if got := StripMention(text, name); got != "你好" {
			t.Errorf("StripMention(MentionText(%q)) = %q", name, got)
		}
	}
}
