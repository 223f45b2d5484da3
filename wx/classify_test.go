package wx

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Wire names of the fixture world (testdata/messages). They are per-login names: @ + 32 hex
// for persons, @@ + 64 hex for groups.
const (
	selfUser     = "@c33e8a1b2c3d4e5f60718293a4b5c6d7"
	ajieUser     = "@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e"
	xiaojuUser   = "@b22d6a3f0e9d8c7b6a5f4e3d2c1b0a9f"
	houseUser    = "@d44f7b4a1f0e9d8c7b6a5f4e3d2c1b0a" // a member who is not a contact
	tomUser      = "@e55a8c5b2a1f0e9d8c7b6a5f4e3d2c1b"
	juanUser     = "@f66b9d6c3b2a1f0e9d8c7b6a5f4e3d2c"
	strangerUser = "@9f9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b" // in no member list
	officialUser = "@7c7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e"
	groupUser    = "@@5e1c9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"
	group2User   = "@@6f2d0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
	group3User   = "@@7a3e1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
	group4User   = "@@8b4f2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
)

// mapBook is a ContactLookup over plain Contact values.
type mapBook struct {
	self     *Contact
	contacts map[string]*Contact
}

func (b *mapBook) Self() *Contact                   { return b.self }
func (b *mapBook) Contact(userName string) *Contact { return b.contacts[userName] }

func newTestBook() *mapBook {
	self := &Contact{UserName: selfUser, Uin: 2130456789, NickName: "小管家"}
	contacts := []*Contact{
		self,
		{UserName: ajieUser, NickName: "阿杰\U0001F3C3", RemarkName: "杰哥", ContactFlag: 3, Sex: 1},
		{UserName: xiaojuUser, NickName: "小桔", ContactFlag: 3, Sex: 2},
		{UserName: officialUser, NickName: "徒步之家", ContactFlag: 3, VerifyFlag: 24},
		{UserName: "filehelper", NickName: "文件传输助手"},
		{
			UserName: groupUser, NickName: "周末徒步群", MemberCount: 6, SelfDisplayName: "管家",
			Members: []Member{
				{UserName: ajieUser, NickName: "阿杰\U0001F3C3", DisplayName: "领队阿杰"},
				{UserName: selfUser, NickName: "小管家", DisplayName: "管家"},
				{UserName: xiaojuUser, NickName: "小桔"},
				{UserName: houseUser, NickName: "Hou$e"},
				{UserName: tomUser, NickName: "Tom&Jerry"},
				{UserName: juanUser, NickName: "\U0001F338卷卷卷\U0001F338"},
			},
		},
		{
			// No display name for self: mentions use the nickname.
			UserName: group2User, NickName: "Hikers EN", MemberCount: 3,
			Members: []Member{
				{UserName: selfUser, NickName: "小管家"},
				{UserName: ajieUser, NickName: "阿杰\U0001F3C3"},
				{UserName: tomUser, NickName: "Tom&Jerry", DisplayName: "Tom"},
			},
		},
		{
			UserName: group3User, NickName: "机器人群", MemberCount: 2, SelfDisplayName: "管家\U0001F916",
			Members: []Member{{UserName: selfUser, NickName: "小管家", DisplayName: "管家\U0001F916"}, {UserName: ajieUser}},
		},
		{
			UserName: group4User, NickName: "研发群", MemberCount: 2, SelfDisplayName: "R&D助手",
			Members: []Member{{UserName: selfUser, NickName: "小管家", DisplayName: "R&D助手"}, {UserName: ajieUser}},
		},
	}
	b := &mapBook{self: self, contacts: map[string]*Contact{}}
	for _, c := range contacts {
		b.contacts[c.UserName] = c
	}
	return b
}

// classifyCase is one fixture and what Classify must make of it. Every field is compared
// exactly: an empty want means "must be empty".
type classifyCase struct {
	file          string
	kind          Kind
	text          string
	chat          string // Chat.UserName
	chatRawID     string
	sender        string // Sender.UserName
	senderRawID   string
	senderName    string // Sender.Name(), checked when set
	senderDisplay string // Sender.DisplayName
	isSelf        bool
	mentioned     bool
	mentions      []string

	title, url, description, amount string

	media    *Media
	fileInfo *File
	location *Location
	card     *Card
	mini     *MiniProgram
	recall   *Recall
	notice   *GroupNotice
	request  *FriendRequest
	owner    *OwnerActivity
}

var classifyCases = []classifyCase{
	// Text, direction and the group sender prefix.
	{file: "text_1to1", kind: KindText, text: "明早8点出发<别迟到>\n带水[微笑]", chat: ajieUser, sender: ajieUser, senderName: "杰哥"},
	{file: "text_entities_emoji", kind: KindText, text: "5 > 3 & \U0001F602\nok", chat: ajieUser, sender: ajieUser},
	{file: "text_group", kind: KindText, text: "今晚谁去\U0001F37A", chat: groupUser, sender: ajieUser, senderName: "杰哥", senderDisplay: "领队阿杰"},
	{file: "text_group_first_br_only", kind: KindText, text: "集合点:\n南门:\n8点", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰"},
	{file: "text_group_unknown_sender", kind: KindText, text: "大家好", chat: groupUser, sender: strangerUser, senderName: strangerUser},
	{file: "text_group_member_not_contact", kind: KindText, text: "收到", chat: groupUser, sender: houseUser, senderName: "Hou$e"},
	{file: "text_group_raw_id_prefix", kind: KindText, text: "老版本的前缀", chat: groupUser, senderRawID: "wxid_k2demo0001"},
	{file: "text_owner_phone_1to1", kind: KindText, text: "好的，明早见", chat: ajieUser, sender: selfUser, isSelf: true},
	{file: "text_owner_phone_group", kind: KindText, text: "提醒:\n带好雨具", chat: groupUser, sender: selfUser, senderDisplay: "管家", isSelf: true},
	{file: "text_empty_from_is_self", kind: KindText, text: "在吗", chat: xiaojuUser, sender: selfUser, isSelf: true},
	{file: "text_typed_span_stays_text", kind: KindText, text: `<span class="emoji emoji1f602"></span> 是表情代码`, chat: ajieUser, sender: ajieUser},
	{file: "text_qq_faces", kind: KindText, text: "[微笑][得意][呲牙]", chat: ajieUser, sender: ajieUser},
	{file: "text_multi_codepoint_emoji", kind: KindText, text: "第1\u20e3名 \U0001F1E8\U0001F1F3 \u2764", chat: ajieUser, sender: ajieUser},
	{file: "text_quirk_codepoints", kind: KindText, text: "\U0001F601\U0001F602\U0001F621", chat: ajieUser, sender: ajieUser},
	{file: "text_span_missing_gt", kind: KindText, text: "欢迎\U0001F450新朋友\U0001F450", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰"},
	{file: "text_filehelper", kind: KindText, text: "备忘：买水", chat: "filehelper", sender: selfUser, isSelf: true},
	{file: "text_official_account", kind: KindText, text: "感谢关注徒步之家", chat: officialUser, sender: officialUser},
	{file: "text_pictype_without_map_url", kind: KindText, text: "链接里有 pictype=location 但不是位置", chat: ajieUser, sender: ajieUser},

	// @-mentions.
	{file: "mention_mobile", kind: KindText, text: "@管家\u2005明早几点出发", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", mentioned: true, mentions: []string{"管家"}},
	{file: "mention_pc_space", kind: KindText, text: "@管家 明早几点出发", chat: groupUser, sender: xiaojuUser, mentioned: true, mentions: []string{"管家"}},
	{file: "mention_at_end", kind: KindText, text: "明早几点出发？@管家", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", mentioned: true, mentions: []string{"管家"}},
	{file: "mention_two_others", kind: KindText, text: "@wuli客服\u2005和@小桔\u2005是好朋友", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", mentions: []string{"wuli客服", "小桔"}},
	{file: "mention_nickname_fallback", kind: KindText, text: "@小管家\u2005签到", chat: group2User, sender: ajieUser, mentioned: true, mentions: []string{"小管家"}},
	{file: "mention_nickname_when_display_set", kind: KindText, text: "@小管家\u2005签到", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", mentions: []string{"小管家"}},
	{file: "mention_emoji_name", kind: KindText, text: "@管家\U0001F916\u2005在吗", chat: group3User, sender: ajieUser, mentioned: true, mentions: []string{"管家\U0001F916"}},
	{file: "mention_ampersand_name", kind: KindText, text: "@R&D助手 查一下库存", chat: group4User, sender: ajieUser, mentioned: true, mentions: []string{"R&D助手"}},
	{file: "mention_mobile_after_ascii", kind: KindText, text: "ok@管家\u2005收到", chat: groupUser, sender: xiaojuUser, mentioned: true, mentions: []string{"管家"}},
	{file: "mention_face_not_mention", kind: KindText, text: "@_@ 好累", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰"},
	{file: "mention_email_not_mention", kind: KindText, text: "发到 guanjia@example.com 吧", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰"},
	{file: "mention_longer_name_not_self", kind: KindText, text: "@管家婆 你好", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", mentions: []string{"管家婆"}},
	{file: "mention_by_owner_not_mentioned", kind: KindText, text: "@管家\u2005自己提醒自己", chat: groupUser, sender: selfUser, senderDisplay: "管家", isSelf: true, mentions: []string{"管家"}},
	{file: "mention_in_1to1_ignored", kind: KindText, text: "@管家\u2005在吗", chat: ajieUser, sender: ajieUser},

	// Media.
	{file: "image_2014", kind: KindImage, text: "[图片]", chat: ajieUser, sender: ajieUser, media: &Media{Width: 120, Height: 89, Size: 95231}},
	{file: "image_2017_group_pretty", kind: KindImage, text: "[图片]", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		media: &Media{Width: 103, Height: 120, Size: 45956, MD5: "e3b0c44298fc1c149afbf4c8996fb924"}},
	{file: "image_2019_token", kind: KindImage, text: "[图片]", chat: ajieUser, sender: ajieUser, media: &Media{Width: 160, Height: 90}},
	{file: "image_2019_group_token", kind: KindImage, text: "[图片]", chat: groupUser, sender: xiaojuUser, media: &Media{Width: 90, Height: 160}},
	{file: "voice_2017", kind: KindVoice, text: "[语音]", chat: ajieUser, sender: ajieUser, media: &Media{Duration: 2340, Size: 3898}},
	{file: "voice_2019_group_token", kind: KindVoice, text: "[语音]", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰", media: &Media{Duration: 5120}},
	{file: "video_43", kind: KindVideo, text: "[视频]", chat: ajieUser, sender: ajieUser,
		media: &Media{Width: 90, Height: 160, Duration: 12000, Size: 1048576, MD5: "5d41402abc4b2a76b9719d911017c592"}},
	{file: "video_62_micro", kind: KindVideo, text: "[视频]", chat: groupUser, sender: xiaojuUser, media: &Media{Width: 67, Height: 120, Duration: 6000}},
	{file: "sticker_custom", kind: KindEmoticon, text: "[表情]", chat: ajieUser, sender: ajieUser,
		media: &Media{Width: 240, Height: 210, Size: 40617, MD5: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}},
	{file: "sticker_store_empty", kind: KindEmoticon, text: "[表情]", chat: groupUser, media: &Media{Width: 240, Height: 240, Store: true}},
	{file: "sticker_store_productid", kind: KindEmoticon, text: "[表情]", chat: groupUser, sender: xiaojuUser,
		media: &Media{Width: 240, Height: 240, Size: 12345, MD5: "0badc0de0badc0de0badc0de0badc0de", Store: true}},

	// Card and location.
	{file: "card_1to1", kind: KindCard, text: "[名片] 小红\U0001F338", chat: ajieUser, sender: ajieUser,
		card: &Card{UserName: "@0a0b0c0d0e0f1a1b1c1d1e1f2a2b2c2d", RawID: "wxid_xiaohong01", NickName: "小红\U0001F338",
			Alias: "xiaohong88", Province: "广东", City: "广州", Sex: 2}},
	{file: "card_group_stranger", kind: KindCard, text: "[名片] 老王 & 小李", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		card: &Card{UserName: "@1b1c1d1e1f2a2b2c2d2e2f3a3b3c3d3e", RawID: "v1_0123456789abcdef0123456789abcdef@stranger",
			NickName: "老王 & 小李", Sex: 1}},
	{file: "location_1_48", kind: KindLocation, text: "[位置] 广州市天河区珠江新城花城广场", chat: ajieUser, sender: ajieUser,
		url:      "http://apis.map.qq.com/uri/v1/geocoder?coord=23.108902,113.324520",
		location: &Location{Lat: 23.108902, Lng: 113.32452, Label: "广州市天河区珠江新城花城广场"}},
	{file: "location_group_no_oricontent", kind: KindLocation, text: "[位置] 深圳市福田区市民中心\U0001F4CD", chat: groupUser, sender: xiaojuUser,
		url:      "http://apis.map.qq.com/uri/v1/geocoder?coord=22.543096,114.057865",
		location: &Location{Lat: 22.543096, Lng: 114.057865, Label: "深圳市福田区市民中心\U0001F4CD"}},
	{file: "location_48", kind: KindLocation, text: "[位置] 北京市东城区天安门", chat: ajieUser, sender: ajieUser,
		url:      "http://apis.map.qq.com/uri/v1/geocoder?coord=39.908823,116.397470",
		location: &Location{Lat: 39.908823, Lng: 116.39747, Label: "北京市东城区天安门"}},

	// App messages.
	{file: "link_5_pretty", kind: KindLink, text: `[链接] 徒步装备清单 "2019版"`, chat: ajieUser, sender: ajieUser,
		title: `徒步装备清单 "2019版"`, url: "https://mp.weixin.qq.com/s?__biz=MzA3&mid=2650&idx=1", description: "轻量化 & 安全"},
	{file: "link_official_mmreader", kind: KindLink, text: "[链接] 本周末线路推荐", chat: officialUser, sender: officialUser,
		title: "本周末线路推荐", url: "http://mp.weixin.qq.com/s?__biz=MzA3&mid=1&idx=1", description: "白云山到帽峰山"},
	{file: "music_3", kind: KindLink, text: "[链接] 山歌", chat: ajieUser, sender: ajieUser,
		title: "山歌", url: "http://music.example.com/song.mp3?id=1&t=2", description: "民谣"},
	{file: "app_7_open", kind: KindLink, text: "[链接] 天气预报", chat: ajieUser, sender: ajieUser,
		title: "天气预报", url: "https://weather.example.com/", description: "明天晴"},
	{file: "app_unparseable", kind: KindLink, text: "[链接] 坏掉的链接", chat: ajieUser, sender: ajieUser,
		title: "坏掉的链接", url: "https://example.com/a"},
	{file: "file_6", kind: KindFile, text: "[文件] report.pdf", chat: ajieUser, sender: ajieUser, title: "report.pdf",
		fileInfo: &File{Name: "report.pdf", Size: 1024, Ext: "pdf",
			MediaID: "@crypt_3b2a1f0e_" + strings.Repeat("ab12", 16), EncryFileName: "report%2Epdf"}},
	{file: "file_6_group_pretty", kind: KindFile, text: "[文件] 路线 & 装备.xlsx", chat: groupUser, sender: xiaojuUser, title: "路线 & 装备.xlsx",
		fileInfo: &File{Name: "路线 & 装备.xlsx", Size: 20480, Ext: "xlsx", MediaID: "@crypt_4c3b2a1f_" + strings.Repeat("cd34", 16),
			EncryFileName: "%E8%B7%AF%E7%BA%BF%20%26%20%E8%A3%85%E5%A4%87%2Exlsx"}},
	{file: "miniprogram_33", kind: KindMiniProgram, text: "[小程序] 拼车去爬山", chat: ajieUser, sender: ajieUser,
		title: "拼车去爬山", url: "https://mp.weixin.qq.com/mp/waerrpage?appid=wx0a1b2c3d4e5f6a7b&type=upgrade",
		mini: &MiniProgram{Name: "滴滴拼车", AppID: "wx0a1b2c3d4e5f6a7b", PagePath: "pages/trip/index.html?id=42&from=share", RawID: "gh_0a1b2c3d4e5f@app"}},
	{file: "miniprogram_36_group", kind: KindMiniProgram, text: "[小程序] 接龙报名", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		title: "接龙报名", mini: &MiniProgram{Name: "群接龙", AppID: "wx9f8e7d6c5b4a3f2e", PagePath: "pages/index", RawID: "gh_9f8e7d6c5b4a@app"}},
	{file: "history_0", kind: KindHistory, text: "[聊天记录] 群聊的聊天记录", chat: ajieUser, sender: ajieUser, title: "群聊的聊天记录",
		url: "https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/favorite_record__w_unsupport", description: "阿杰: 明早8点\n小桔: 收到"},
	{file: "history_19_group", kind: KindHistory, text: "[聊天记录] 阿杰和小桔的聊天记录", chat: groupUser, sender: xiaojuUser,
		title: "阿杰和小桔的聊天记录", description: "阿杰: 出发了"},
	{file: "transfer_2000", kind: KindTransfer, text: "[转账] ￥0.10", chat: ajieUser, sender: ajieUser, amount: "0.10", title: "微信转账",
		url:         "https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001&btn_text=btn_text_0",
		description: "阿杰向你转账0.10元。如需收钱，请点此升级至最新版本"},
	{file: "transfer_2000_group_pretty", kind: KindTransfer, text: "[转账] ￥200.00", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		amount: "200.00", title: "微信转账"},
	{file: "redpacket_2001", kind: KindRedPacket, text: "[红包] 微信红包", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		title: "微信红包", description: "received"},
	{file: "realtime_location_17", kind: KindSystem, text: "我发起了位置共享", chat: ajieUser, sender: ajieUser, title: "我发起了位置共享"},
	{file: "app_text_1", kind: KindText, text: "@管家\u2005来自第三方应用的文字", chat: groupUser, sender: ajieUser, senderDisplay: "领队阿杰",
		mentioned: true, mentions: []string{"管家"}},
	{file: "quote_57", kind: KindText, text: "同意 & 报名", chat: groupUser, sender: xiaojuUser},
	{file: "app_unknown_51_channels", kind: KindUnknown, text: "当前微信版本不支持展示该内容，请升级至最新版本。", chat: ajieUser, sender: ajieUser,
		title: "当前微信版本不支持展示该内容，请升级至最新版本。"},

	// Red packets: only notices arrive, without a sender in groups.
	{file: "redpacket_received_1to1", kind: KindRedPacket, text: "收到红包，请在手机上查看", chat: ajieUser, sender: ajieUser, description: "received"},
	{file: "redpacket_received_group", kind: KindRedPacket, text: "收到红包，请在手机上查看", chat: groupUser, description: "received"},
	{file: "redpacket_sent_group", kind: KindRedPacket, text: "发出红包，请在手机上查看", chat: groupUser, sender: selfUser, senderDisplay: "管家", description: "sent"},
	{file: "redpacket_collection", kind: KindRedPacket, text: "群收款消息，请在手机上查看", chat: groupUser, description: "collection"},
	{file: "redpacket_lishi", kind: KindRedPacket, text: "收到利是，請在手機上查看", chat: groupUser, description: "received"},

	// Group notices, Chinese.
	{file: "join_invite_other", kind: KindJoin, text: `"阿杰"邀请"小桔、Hou$e"加入了群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", Targets: []string{"小桔", "Hou$e"}}},
	{file: "join_invite_by_self", kind: KindJoin, text: `你邀请"小桔"加入了群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"小桔"}}},
	{file: "join_invite_by_self_revoke", kind: KindJoin, text: `你邀请"小桔、Tom&Jerry"加入了群聊  $revoke$`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"小桔", "Tom&Jerry"}}},
	{file: "join_invited_self", kind: KindJoin, text: `"阿杰"邀请你加入了群聊，群聊参与人还有：小桔、Hou$e、Tom&Jerry`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true}},
	{file: "join_invited_self_and_others", kind: KindJoin, text: `"阿杰"邀请你和"小桔"加入了群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, Actor: "阿杰", SelfIncluded: true, Targets: []string{"小桔"}}},
	{file: "join_real_sample_emoji", kind: KindJoin, text: "\" \U0001F338卷卷卷\U0001F338\"邀请\"Hou$e\"加入了群聊", chat: groupUser,
		notice: &GroupNotice{Kind: NoticeInvite, Actor: "\U0001F338卷卷卷\U0001F338", Targets: []string{"Hou$e"}}},
	{file: "join_qr_other", kind: KindJoin, text: `" 小桔"通过扫描"阿杰"分享的二维码加入群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeQRJoin, Actor: "阿杰", Targets: []string{"小桔"}}},
	{file: "join_qr_self", kind: KindJoin, text: "\"\U0001F338卷卷卷\U0001F338\"通过扫描你分享的二维码加入群聊", chat: groupUser,
		notice: &GroupNotice{Kind: NoticeQRJoin, ActorIsSelf: true, Targets: []string{"\U0001F338卷卷卷\U0001F338"}}},
	{file: "notice_removed_by_self", kind: KindSystem, text: `你将"Hou$e"移出了群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true, Targets: []string{"Hou$e"}}},
	{file: "notice_self_removed", kind: KindSystem, text: `你被"阿杰"移出群聊`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeSelfRemove, Actor: "阿杰", SelfIncluded: true}},
	{file: "rename_by_other", kind: KindRename, text: `"阿杰"修改群名为“周末徒步群2.0”`, chat: groupUser,
		notice: &GroupNotice{Kind: NoticeRename, Actor: "阿杰", NewName: "周末徒步群2.0"}},
	{file: "rename_by_self", kind: KindRename, text: "你修改群名为“徒步\U0001F3D4”", chat: groupUser,
		notice: &GroupNotice{Kind: NoticeRename, ActorIsSelf: true, NewName: "徒步\U0001F3D4"}},
	{file: "rename_no_actor_quotes", kind: KindRename, text: "阿杰修改群名为“周末徒步群3.0”", chat: groupUser,
		notice: &GroupNotice{Kind: NoticeRename, Actor: "阿杰", NewName: "周末徒步群3.0"}},

	// Group notices, English.
	{file: "en_join_invite_other", kind: KindJoin, text: "Tom invited Amy、Bob to the group chat", chat: group2User,
		notice: &GroupNotice{Kind: NoticeInvite, Actor: "Tom", Targets: []string{"Amy", "Bob"}}},
	{file: "en_join_invite_by_self", kind: KindJoin, text: "You invited Amy to the group chat.", chat: group2User,
		notice: &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: []string{"Amy"}}},
	{file: "en_join_qr_self", kind: KindJoin, text: `"Amy" joined group chat via the QR code you shared.`, chat: group2User,
		notice: &GroupNotice{Kind: NoticeQRJoin, ActorIsSelf: true, Targets: []string{"Amy"}}},
	{file: "en_join_qr_other", kind: KindJoin, text: `"Amy" joined the group chat via the QR Code shared by "Tom".`, chat: group2User,
		notice: &GroupNotice{Kind: NoticeQRJoin, Actor: "Tom", Targets: []string{"Amy"}}},
	{file: "en_notice_removed_by_self", kind: KindSystem, text: `You removed "Amy" from the group chat`, chat: group2User,
		notice: &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true, Targets: []string{"Amy"}}},
	{file: "en_notice_self_removed", kind: KindSystem, text: `You were removed from the group chat by "Tom"`, chat: group2User,
		notice: &GroupNotice{Kind: NoticeSelfRemove, Actor: "Tom", SelfIncluded: true}},
	{file: "en_rename_by_other", kind: KindRename, text: `"Tom" changed the group name to "Hikers"`, chat: group2User,
		notice: &GroupNotice{Kind: NoticeRename, Actor: "Tom", NewName: "Hikers"}},

	// Other 10000 notices.
	{file: "notice_location_ended", kind: KindSystem, text: "位置共享已经结束", chat: groupUser},
	{file: "notice_pat", kind: KindSystem, text: `"阿杰" 拍了拍我`, chat: groupUser},
	{file: "notice_friend_added", kind: KindSystem, text: "你已添加了小桔，现在可以开始聊天了。", chat: xiaojuUser},
	{file: "notice_friend_accepted_en", kind: KindSystem, text: "You have added 小桔 as your WeChat contact. Start chatting!", chat: xiaojuUser},
	{file: "notice_not_friend_link", kind: KindSystem, chat: ajieUser,
		text: "阿杰开启了朋友验证，你还不是他（她）朋友。请先发送朋友验证请求，对方验证通过后，才能聊天。发送朋友验证"},
	{file: "notice_rate_limit", kind: KindSystem, text: "发送消息过于频繁，可稍后再试。", chat: ajieUser},
	{file: "notice_group_prefixlike_text", kind: KindSystem, text: "wxid_abc:\n不是前缀", chat: groupUser},

	// Recalls.
	{file: "recall_1to1_pretty", kind: KindRecall, text: `"阿杰" 撤回了一条消息`, chat: ajieUser, chatRawID: "wxid_k2demo0001", sender: ajieUser,
		recall: &Recall{OriginalMsgID: "7032145698741236985", ReplaceText: `"阿杰" 撤回了一条消息`, By: "阿杰", SessionRawID: "wxid_k2demo0001"}},
	{file: "recall_group_compact", kind: KindRecall, text: "\"阿杰\U0001F3C3\" 撤回了一条消息", chat: groupUser, chatRawID: "1234567890@chatroom",
		sender: ajieUser, senderDisplay: "领队阿杰",
		recall: &Recall{OriginalMsgID: "7032000000000000001", ReplaceText: "\"阿杰\U0001F3C3\" 撤回了一条消息", By: "阿杰\U0001F3C3", SessionRawID: "1234567890@chatroom"}},
	{file: "recall_self", kind: KindRecall, text: "你撤回了一条消息", chat: ajieUser, chatRawID: "wxid_k2demo0001", sender: selfUser, isSelf: true,
		recall: &Recall{OriginalMsgID: "7032000000000000003", ReplaceText: "你撤回了一条消息", BySelf: true, SessionRawID: "wxid_k2demo0001"}},
	{file: "recall_english", kind: KindRecall, text: `"Tom&Jerry" has recalled a message.`, chat: group2User, chatRawID: "9876543210@chatroom",
		sender: tomUser, senderName: "Tom", senderDisplay: "Tom",
		recall: &Recall{OriginalMsgID: "7032000000000000004", ReplaceText: `"Tom&Jerry" has recalled a message.`, By: "Tom&Jerry", SessionRawID: "9876543210@chatroom"}},
	{file: "recall_msgid_zero", kind: KindRecall, text: `"阿杰" 撤回了一条消息`, chat: ajieUser, chatRawID: "wxid_k2demo0001", sender: ajieUser,
		recall: &Recall{ReplaceText: `"阿杰" 撤回了一条消息`, By: "阿杰", SessionRawID: "wxid_k2demo0001"}},
	{file: "sysmsg_other_type", kind: KindUnknown, chat: groupUser},

	// Friend request.
	{file: "friend_request_37", kind: KindFriendRequest, text: `我是徒步群的 "山野"`, chat: "fmessage",
		sender: "@2c2d2e2f3a3b3c3d3e3f4a4b4c4d4e4f", senderRawID: "wxid_shanye01", senderName: "山野\U0001F3D5",
		request: &FriendRequest{UserName: "@2c2d2e2f3a3b3c3d3e3f4a4b4c4d4e4f", Ticket: "v2_5f4e3d2c1b0a9f8e7d6c5b4a39281706@stranger",
			RawID: "wxid_shanye01", NickName: "山野\U0001F3D5", Greeting: `我是徒步群的 "山野"`, Alias: "shanye_01",
			Province: "广东", City: "深圳", Sex: 1, Signature: "走吧", Scene: 14, ChatRoomRawID: "1234567890@chatroom"}},

	// Status notify: owner activity.
	{file: "status_code2_enter", kind: KindOwnerActive, chat: ajieUser, sender: selfUser, isSelf: true,
		owner: &OwnerActivity{Code: 2, Chats: []string{ajieUser}}},
	{file: "status_code1_read_group", kind: KindOwnerActive, chat: groupUser, sender: selfUser, senderDisplay: "管家", isSelf: true,
		owner: &OwnerActivity{Code: 1, Chats: []string{groupUser}}},
	{file: "status_code5_quit", kind: KindOwnerActive, chat: xiaojuUser, sender: selfUser, isSelf: true,
		owner: &OwnerActivity{Code: 5, Chats: []string{xiaojuUser}}},
	{file: "status_code4_oplist", kind: KindOwnerActive, chat: selfUser, sender: selfUser, isSelf: true,
		owner: &OwnerActivity{Code: 4, Chats: []string{ajieUser, "filehelper", groupUser},
			RawIDs: []string{"wxid_k2demo0001", "filehelper", "1234567890@chatroom"}}},
	{file: "status_code4_empty", kind: KindOwnerActive, chat: selfUser, sender: selfUser, isSelf: true,
		owner: &OwnerActivity{Code: 4, Chats: []string{"filehelper", group2User}}},
	{file: "status_code4_mismatch", kind: KindOwnerActive, chat: selfUser, sender: selfUser, isSelf: true,
		owner: &OwnerActivity{Code: 4, Chats: []string{ajieUser, groupUser}}},
	{file: "status_not_from_self", kind: KindSystem, chat: ajieUser, sender: ajieUser},

	// Types bots ignore, and the unknown.
	{file: "voip_50", kind: KindSystem, text: "[通话]", chat: ajieUser, sender: ajieUser},
	{file: "sysnotice_9999", kind: KindSystem, text: "[系统通知]", chat: "weixin", sender: "weixin"},
	{file: "possible_friend_40", kind: KindSystem, text: "[好友推荐]", chat: "fmessage", sender: "fmessage"},
	{file: "unknown_msgtype", kind: KindUnknown, chat: ajieUser, sender: ajieUser},
}

func loadFixture(t testing.TB, name string) (*RawMessage, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "messages", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &raw, data
}

func TestClassifyFixtures(t *testing.T) {
	book := newTestBook()
	for _, tc := range classifyCases {
		t.Run(tc.file, func(t *testing.T) {
			raw, data := loadFixture(t, tc.file)
			m := Classify(raw, data, book)
			checkClassified(t, tc, raw, data, m)

			// With raw == nil, Classify decodes rawJSON itself and must agree.
			again := Classify(nil, data, book)
			if !reflect.DeepEqual(m, again) {
				t.Errorf("Classify(nil, rawJSON) differs:\n%+v\n%+v", m, again)
			}
			if _, err := json.Marshal(m); err != nil {
				t.Errorf("message does not marshal: %v", err)
			}
		})
	}
}

func checkClassified(t *testing.T, tc classifyCase, raw *RawMessage, data []byte, m *Message) {
	t.Helper()
	eq := func(field string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", field, got, want)
		}
	}
	eq("Kind", m.Kind, tc.kind)
	eq("Text", m.Text, tc.text)
	eq("Chat.UserName", m.Chat.UserName, tc.chat)
	eq("Chat.RawID", m.Chat.RawID, tc.chatRawID)
	eq("Sender.UserName", m.Sender.UserName, tc.sender)
	eq("Sender.RawID", m.Sender.RawID, tc.senderRawID)
	eq("Sender.DisplayName", m.Sender.DisplayName, tc.senderDisplay)
	if tc.senderName != "" {
		eq("Sender.Name()", m.Sender.Name(), tc.senderName)
	}
	eq("Sender.IsSelf", m.Sender.IsSelf, tc.sender == selfUser)
	eq("IsSelf", m.IsSelf, tc.isSelf)
	eq("Mentioned", m.Mentioned, tc.mentioned)
	eq("Mentions", m.Mentions, tc.mentions)
	eq("Title", m.Title, tc.title)
	eq("URL", m.URL, tc.url)
	eq("Description", m.Description, tc.description)
	eq("Amount", m.Amount, tc.amount)
	eq("Media", m.Media, tc.media)
	eq("File", m.File, tc.fileInfo)
	eq("Location", m.Location, tc.location)
	eq("Card", m.Card, tc.card)
	eq("MiniProgram", m.MiniProgram, tc.mini)
	eq("Recall", m.Recall, tc.recall)
	eq("Notice", m.Notice, tc.notice)
	eq("FriendRequest", m.FriendRequest, tc.request)
	eq("OwnerActivity", m.OwnerActivity, tc.owner)
	eq("Chat.IsGroup", m.Chat.IsGroup, strings.HasPrefix(tc.chat, "@@"))

	// Fields every message carries.
	eq("MsgID", m.MsgID, raw.MsgID)
	eq("NewMsgID", m.NewMsgID, raw.MsgID) // same value; a float64 would have lost digits
	eq("MsgType", m.MsgType, raw.MsgType)
	eq("AppMsgType", m.AppMsgType, raw.AppMsgType)
	eq("Time", m.Time.Unix(), raw.CreateTime)
	if !bytes.Equal(m.Raw, data) {
		t.Errorf("Raw is not the entry as received")
	}
}

// Every fixture is in the table, so none is silently left untested.
func TestClassifyFixturesAllCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range classifyCases {
		names = append(names, c.file)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !slices.Contains(names, name) {
			t.Errorf("fixture %s has no classify case", name)
		}
	}
	if len(classifyCases) < 60 {
		t.Errorf("only %d classify cases", len(classifyCases))
	}
	seen := map[Kind]bool{}
	for _, c := range classifyCases {
		seen[c.kind] = true
	}
	// Leave is found by diffing member lists, never from a message.
	for _, k := range []Kind{KindText, KindImage, KindVoice, KindVideo, KindEmoticon, KindCard, KindLocation,
		KindLink, KindFile, KindMiniProgram, KindHistory, KindRedPacket, KindTransfer, KindRecall, KindSystem,
		KindJoin, KindRename, KindFriendRequest, KindOwnerActive, KindUnknown} {
		if !seen[k] {
			t.Errorf("no classify case of kind %s", k)
		}
	}
}

func TestClassifyWithoutBook(t *testing.T) {
	raw, data := loadFixture(t, "mention_mobile")
	m := Classify(raw, data, nil)
	if m.Kind != KindText || m.Text != "@管家\u2005明早几点出发" {
		t.Fatalf("got %s %q", m.Kind, m.Text)
	}
	if m.Chat.UserName != groupUser || !m.Chat.IsGroup || m.Sender.UserName != ajieUser {
		t.Errorf("chat %+v sender %+v", m.Chat, m.Sender)
	}
	if m.Mentioned {
		t.Error("mentioned without knowing self")
	}
}

func TestClassifyBadJSON(t *testing.T) {
	m := Classify(nil, []byte(`{"MsgType":"x"`), newTestBook())
	if m.Kind != KindUnknown || string(m.Raw) != `{"MsgType":"x"` {
		t.Errorf("got %+v", m)
	}
}

// The book may hold names not yet decoded; a mention must still be found.
func TestClassifyMentionUndecodedBookName(t *testing.T) {
	book := newTestBook()
	g := *book.contacts[group3User]
	g.SelfDisplayName = `管家<span class="emoji emoji1f916"></span>`
	book.contacts[group3User] = &g
	raw, data := loadFixture(t, "mention_emoji_name")
	if m := Classify(raw, data, book); !m.Mentioned {
		t.Error("mention of an undecoded display name not found")
	}
}

func BenchmarkClassifyGroupText(b *testing.B) {
	book := newTestBook()
	raw, data := loadFixture(b, "mention_mobile")
	b.ReportAllocs()
	for b.Loop() {
		Classify(raw, data, book)
	}
}
