package wx

import (
	"reflect"
	"testing"
)

func TestParseGroupNotice(t *testing.T) {
	juan := "\U0001F338卷卷卷\U0001F338"
	cases := []struct {
		text string
		want *GroupNotice
	}{
		// Chinese, every row of PROTOCOL.md §7.18.
		{`"阿杰"邀请"小桔"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", Targets: []string{"小桔"}}},
		{`"阿杰"邀请"小桔、Hou$e、Tom&Jerry"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", Targets: []string{"小桔", "Hou$e", "Tom&Jerry"}}},
		{`你邀请"小桔"加入了群聊  `, &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"小桔"}}},
		{`你邀请"小桔、阿杰"加入了群聊  $revoke$`, &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"小桔", "阿杰"}}},
		{`"阿杰"邀请你加入了群聊，群聊参与人还有：小桔、Hou$e、Tom`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true}},
		{`"阿杰"邀请你加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true}},
		{`"阿杰"邀请你和"小桔"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true, Targets: []string{"小桔"}}},
		{`"阿杰"邀请你和"小桔、Tom"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true, Targets: []string{"小桔", "Tom"}}},
		{`"` + " " + juan + `"邀请"Hou$e"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: juan, Targets: []string{"Hou$e"}}},
		{`"小桔"通过扫描"阿杰"分享的二维码加入群聊`, &GroupNotice{Kind: NoticeQRJoin, Actor: "阿杰", Targets: []string{"小桔"}}},
		{`" 小桔"通过扫描"阿杰"分享的二维码加入群聊`, &GroupNotice{Kind: NoticeQRJoin, Actor: "阿杰", Targets: []string{"小桔"}}},
		{`"小桔"通过扫描你分享的二维码加入群聊  `, &GroupNotice{Kind: NoticeQRJoin, ActorIsSelf: true, Targets: []string{"小桔"}}},
		{`你将"Hou$e"移出了群聊`, &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true, Targets: []string{"Hou$e"}}},
		{`你被"阿杰"移出群聊`, &GroupNotice{Kind: NoticeSelfRemove, Actor: "阿杰", SelfIncluded: true}},
		{`"阿杰"修改群名为“周末徒步群”`, &GroupNotice{Kind: NoticeRename, Actor: "阿杰", NewName: "周末徒步群"}},
		{`阿杰修改群名为“周末徒步群”`, &GroupNotice{Kind: NoticeRename, Actor: "阿杰", NewName: "周末徒步群"}},
		{`你修改群名为“新群名”`, &GroupNotice{Kind: NoticeRename, ActorIsSelf: true, NewName: "新群名"}},
		{`"阿杰"修改群名为“"邀请"加入了群聊”`, &GroupNotice{Kind: NoticeRename, Actor: "阿杰", NewName: `"邀请"加入了群聊`}},
		// A name that holds another notice's words.
		{`"修改群名为"邀请"小桔"加入了群聊`, &GroupNotice{Kind: NoticeInvite, Actor: "修改群名为", Targets: []string{"小桔"}}},

		// English.
		{"Tom invited Amy to the group chat", &GroupNotice{Kind: NoticeInvite, Actor: "Tom", Targets: []string{"Amy"}}},
		{`"Tom" invited "Amy、Bob" to the group chat`, &GroupNotice{Kind: NoticeInvite, Actor: "Tom", Targets: []string{"Amy", "Bob"}}},
		{"Tom invited you to the group chat", &GroupNotice{Kind: NoticeInvite, Actor: "Tom", SelfIncluded: true}},
		{"Tom invited you and Amy to the group chat", &GroupNotice{Kind: NoticeInvite, Actor: "Tom", SelfIncluded: true, Targets: []string{"Amy"}}},
		{"You invited Amy、Bob to the group chat.   ", &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"Amy", "Bob"}}},
		{`"Amy" joined group chat via the QR code you shared.  `, &GroupNotice{Kind: NoticeQRJoin, ActorIsSelf: true, Targets: []string{"Amy"}}},
		{`"Amy" joined the group chat via the QR Code shared by "Tom".`, &GroupNotice{Kind: NoticeQRJoin, Actor: "Tom", Targets: []string{"Amy"}}},
		{`You removed "Amy" from the group chat`, &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true, Targets: []string{"Amy"}}},
		{`You were removed from the group chat by "Tom"`, &GroupNotice{Kind: NoticeSelfRemove, Actor: "Tom", SelfIncluded: true}},
		{`"Tom" changed the group name to "Hikers"`, &GroupNotice{Kind: NoticeRename, Actor: "Tom", NewName: "Hikers"}},
		{`You changed the group name to "Hikers"`, &GroupNotice{Kind: NoticeRename, ActorIsSelf: true, NewName: "Hikers"}},

		// Not group notices.
		{"收到红包，请在手机上查看", nil},
		{"位置共享已经结束", nil},
		{`"阿杰" 拍了拍我`, nil},
		{"你已添加了小桔，现在可以开始聊天了。", nil},
		{"邀请", nil},
		{`"`, nil},
		{"", nil},
	}
	for _, c := range cases {
		if got := ParseGroupNotice(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseGroupNotice(%q)\n got %+v\nwant %+v", c.text, got, c.want)
		}
	}
}

func TestParseRedPacketNotice(t *testing.T) {
	cases := []struct {
		text string
		want RedPacketNotice
		ok   bool
	}{
		{"收到红包，请在手机上查看", RedPacketReceived, true},
		{"发出红包，请在手机上查看", RedPacketSent, true},
		{"群收款消息，请在手机上查看", RedPacketCollection, true},
		{"收到利是，請在手機上查看", RedPacketReceived, true},
		{"收到紅包，請在手機上查看", RedPacketReceived, true},
		{"發出紅包，請在手機上查看", RedPacketSent, true},
		{" 收到红包,请在手机上查看 ", RedPacketReceived, true},
		{"收到红包了吗", "", false},
		{"位置共享已经结束", "", false},
	}
	for _, c := range cases {
		got, ok := ParseRedPacketNotice(c.text)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRedPacketNotice(%q) = %q, %v; want %q, %v", c.text, got, ok, c.want, c.ok)
		}
	}
}

func TestParseFriendAdded(t *testing.T) {
	cases := []struct {
		text, name string
		ok         bool
	}{
		{"你已添加了小桔，现在可以开始聊天了。", "小桔", true},
		{"小桔刚刚把你添加到通讯录，现在可以开始聊天了。", "小桔", true},
		{"You have added Amy as your WeChat contact. Start chatting!", "Amy", true},
		{"如果陌生人主动添加你为朋友，请谨慎核实对方身份。", "", false},
		{"刚刚把你添加到通讯录，现在可以开始聊天了。", "", false},
	}
	for _, c := range cases {
		name, ok := ParseFriendAdded(c.text)
		if name != c.name || ok != c.ok {
			t.Errorf("ParseFriendAdded(%q) = %q, %v; want %q, %v", c.text, name, ok, c.name, c.ok)
		}
	}
}

func TestOtherNotices(t *testing.T) {
	if !IsLocationSharingEnded("位置共享已经结束") || IsLocationSharingEnded("我发起了位置共享") {
		t.Error("IsLocationSharingEnded")
	}
	if !IsRateLimitNotice("发送消息过于频繁，可稍后再试。") || !IsRateLimitNotice("发送消息过于频繁，等待对方接收你的好友请求后再发") ||
		IsRateLimitNotice("收到红包，请在手机上查看") {
		t.Error("IsRateLimitNotice")
	}
	pats := []struct {
		text          string
		pat, patsSelf bool
	}{
		{`"阿杰" 拍了拍我`, true, true},
		{`"阿杰" 拍拍我`, true, true},
		{`"阿杰" 拍了拍 "小桔"`, true, false},
		{`你拍了拍 "小桔"`, true, false},
		{`"阿杰" 拍了拍我，"小桔" 拍了拍我`, true, false},
		{"拍照片", false, false},
	}
	for _, c := range pats {
		pat, self := ParsePat(c.text)
		if pat != c.pat || self != c.patsSelf {
			t.Errorf("ParsePat(%q) = %v, %v; want %v, %v", c.text, pat, self, c.pat, c.patsSelf)
		}
	}
}
