package wx

import (
	"fmt"
	"strings"
	"testing"
)

// benchSyncPage builds a webwxsync answer of n group texts (the simulator's shape) and
// contacts ModContact groups of members each (what a join delivers: the whole member list).
func benchSyncPage(n, contacts, members int) []byte {
	var b strings.Builder
	b.WriteString(`{"BaseResponse":{"Ret":0,"ErrMsg":""},"AddMsgCount":`)
	fmt.Fprintf(&b, "%d,\"AddMsgList\":[", n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"MsgId":"%d","FromUserName":"@@5e1c9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f","ToUserName":"@c33e8a1b2c3d4e5f60718293a4b5c6d7","MsgType":1,"Content":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a%04d:&lt;br/&gt;明天几点集合？第%d条<span class=\"emoji emoji1f37a\"></span>","Status":3,"ImgStatus":1,"CreateTime":1546217456,"VoiceLength":0,"PlayLength":0,"FileName":"","FileSize":"","MediaId":"","Url":"","AppMsgType":0,"StatusNotifyCode":0,"StatusNotifyUserName":"","RecommendInfo":{"UserName":"","NickName":"","QQNum":0,"Province":"","City":"","Content":"","Signature":"","Alias":"","Scene":0,"VerifyFlag":0,"AttrStatus":0,"Sex":0,"Ticket":"","OpCode":0},"ForwardFlag":0,"AppInfo":{"AppID":"","Type":0},"HasProductId":0,"Ticket":"","ImgHeight":0,"ImgWidth":0,"SubMsgType":0,"NewMsgId":%d,"OriContent":"","EncryFileName":""}`,
			7032145698744236994+i, i%1000, i, 7032145698744236994+i)
	}
	fmt.Fprintf(&b, `],"ModContactCount":%d,"ModContactList":[`, contacts)
	for c := 0; c < contacts; c++ {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"UserName":"@@5e1c9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d%04d","NickName":"压测群%03d","Sex":0,"HeadImgUpdateFlag":1,"ContactType":0,"Alias":"","ChatRoomOwner":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e","HeadImgUrl":"/cgi-bin/mmwebwx-bin/webwxgetheadimg?seq=1&username=@@5e1c&skey=","ContactFlag":3,"MemberCount":%d,"MemberList":[`, c, c, members)
		for m := 0; m < members; m++ {
			if m > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Uin":0,"UserName":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a%04d","NickName":"群%03d成员%03d","AttrStatus":102469,"PYInitial":"","PYQuanPin":"","RemarkPYInitial":"","RemarkPYQuanPin":"","MemberStatus":0,"DisplayName":"","KeyWord":""}`, m, c, m)
		}
		b.WriteString(`],"HideInputBarFlag":0,"Signature":"","VerifyFlag":0,"RemarkName":"","Statues":1,"AttrStatus":0,"Province":"","City":"","SnsFlag":0,"KeyWord":""}`)
	}
	b.WriteString(`],"DelContactCount":0,"DelContactList":[],"ModChatRoomMemberCount":0,"ModChatRoomMemberList":[],` +
		`"Profile":{"BitFlag":0,"UserName":{"Buff":""},"NickName":{"Buff":""},"BindUin":0,"BindEmail":{"Buff":""},"BindMobile":{"Buff":""},"Status":0,"Sex":0,"PersonalCard":0,"Alias":"","HeadImgUpdateFlag":0,"HeadImgUrl":"","Signature":""},` +
		`"ContinueFlag":1,"SyncKey":{"Count":3,"List":[{"Key":1,"Val":698325105},{"Key":2,"Val":698325111},{"Key":1000,"Val":1546210682}]},"SKey":"","SyncCheckKey":{"Count":2,"List":[{"Key":1,"Val":698325105},{"Key":201,"Val":1546211542}]}}`)
	return []byte(b.String())
}

// BenchmarkDecodeSyncResponse decodes a 1000-entry page (ns/op is per page; msg/s is
// entries per second on one core): texts only, and with 20 joins' member lists (the
// bench's default mix, groups of 200).
func BenchmarkDecodeSyncResponse(b *testing.B) {
	for _, c := range []struct {
		name              string
		contacts, members int
	}{{"texts", 0, 0}, {"with_20_member_lists", 20, 200}} {
		page := benchSyncPage(1000, c.contacts, c.members)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				resp, err := DecodeSyncResponse(page)
				if err != nil || len(resp.Messages) != 1000 || len(resp.ModContactList) != c.contacts || resp.Messages[999].Err != nil {
					b.Fatalf("decode: %v", err)
				}
			}
			b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "msg/s")
		})
	}
}
