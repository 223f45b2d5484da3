package wx

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// syncAnswer is a webwxsync answer in the server's key order, with NewMsgIds above 2^53.
const syncAnswer = `{"BaseResponse":{"Ret":0,"ErrMsg":""},"AddMsgCount":2,"AddMsgList":[` +
	`{"MsgId":"3225371967511173931","FromUserName":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e","ToUserName":"@c33e8a1b2c3d4e5f60718293a4b5c6d7","MsgType":1,"Content":"明早&lt;8点&gt;","Status":3,"ImgStatus":1,"CreateTime":1546217453,"VoiceLength":0,"PlayLength":0,"FileName":"","FileSize":"","MediaId":"","Url":"","AppMsgType":0,"StatusNotifyCode":0,"StatusNotifyUserName":"","RecommendInfo":{"UserName":"","NickName":"","QQNum":0,"Province":"","City":"","Content":"","Signature":"","Alias":"","Scene":0,"VerifyFlag":0,"AttrStatus":0,"Sex":0,"Ticket":"","OpCode":0},"ForwardFlag":0,"AppInfo":{"AppID":"","Type":0},"HasProductId":0,"Ticket":"","ImgHeight":0,"ImgWidth":0,"SubMsgType":0,"NewMsgId":3225371967511173931,"OriContent":"","EncryFileName":""},` +
	`{"MsgId":"9007199254740993123","FromUserName":"@@5e1c9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f","ToUserName":"@c33e8a1b2c3d4e5f60718293a4b5c6d7","MsgType":49,"Content":"","FileSize":"1024","CreateTime":1546217454,"NewMsgId":9007199254740993123}` +
	`],"ModContactCount":1,"ModContactList":[{"UserName":"@@5e1c9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f","NickName":"周末徒步群","Sex":0,"HeadImgUpdateFlag":1,"ContactType":0,"Alias":"","ChatRoomOwner":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e","HeadImgUrl":"/cgi-bin/mmwebwx-bin/webwxgetheadimg?seq=1&username=@@5e1c&skey=","ContactFlag":3,"MemberCount":2,"MemberList":[{"Uin":0,"UserName":"@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e","NickName":"阿杰","AttrStatus":102469,"PYInitial":"","PYQuanPin":"","RemarkPYInitial":"","RemarkPYQuanPin":"","MemberStatus":0,"DisplayName":"领队阿杰","KeyWord":""},{"Uin":"0","UserName":"@c33e8a1b2c3d4e5f60718293a4b5c6d7","NickName":"小管家","DisplayName":"管家"}],"HideInputBarFlag":0,"Signature":"","VerifyFlag":0,"RemarkName":"","Statues":1,"AttrStatus":0,"Province":"","City":"","SnsFlag":0,"KeyWord":""}],` +
	`"DelContactCount":1,"DelContactList":[{"UserName":"@b22d6a3f0e9d8c7b6a5f4e3d2c1b0a9f","ContactFlag":0}],"ModChatRoomMemberCount":0,"ModChatRoomMemberList":[],` +
	`"Profile":{"BitFlag":0,"UserName":{"Buff":""},"NickName":{"Buff":""},"BindUin":0,"BindEmail":{"Buff":""},"BindMobile":{"Buff":""},"Status":0,"Sex":0,"PersonalCard":0,"Alias":"","HeadImgUpdateFlag":0,"HeadImgUrl":"","Signature":""},` +
	`"ContinueFlag":1,"SyncKey":{"Count":3,"List":[{"Key":1,"Val":698325105},{"Key":2,"Val":698325111},{"Key":1000,"Val":1546210682}]},"SKey":"@crypt_5e1a9c3b_newkey","SyncCheckKey":{"Count":2,"List":[{"Key":1,"Val":698325105},{"Key":201,"Val":1546211542}]}}`

func TestDecodeSyncResponse(t *testing.T) {
	resp, err := DecodeSyncResponse([]byte(syncAnswer))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Err() != nil || len(resp.Warnings) != 0 {
		t.Errorf("Err %v, warnings %v", resp.Err(), resp.Warnings)
	}
	if resp.AddMsgCount != 2 || len(resp.Messages) != 2 || len(resp.AddMsgList) != 2 {
		t.Fatalf("AddMsgCount %d, %d messages", resp.AddMsgCount, len(resp.Messages))
	}
	first, second := resp.Messages[0], resp.Messages[1]
	if first.Err != nil || second.Err != nil {
		t.Errorf("entry errors: %v, %v", first.Err, second.Err)
	}
	// NewMsgId is > 2^53: a float64 would read 3225371967511174000.
	if first.Raw.NewMsgID != "3225371967511173931" || second.Raw.NewMsgID != "9007199254740993123" {
		t.Errorf("NewMsgId lost digits: %s, %s", first.Raw.NewMsgID, second.Raw.NewMsgID)
	}
	if first.Raw.MsgID != "3225371967511173931" || first.Raw.Content != "明早&lt;8点&gt;" || second.Raw.FileSize != "1024" {
		t.Errorf("decoded entries: %+v / %+v", first.Raw, second.Raw)
	}
	// The raw bytes are exactly the entry as received.
	if !strings.HasPrefix(string(first.JSON), `{"MsgId":"3225371967511173931"`) || !strings.HasSuffix(string(first.JSON), `"EncryFileName":""}`) ||
		!bytes.Contains([]byte(syncAnswer), first.JSON) || !bytes.Contains([]byte(syncAnswer), second.JSON) {
		t.Errorf("raw entry not preserved: %s", first.JSON)
	}
	if len(resp.ModContactList) != 1 || resp.ModContactList[0].ChatRoomOwner != "@a11c5f2e9d8c7b6a5f4e3d2c1b0a9f8e" ||
		len(resp.ModContactList[0].MemberList) != 2 || resp.ModContactList[0].MemberList[0].DisplayName != "领队阿杰" {
		t.Errorf("ModContactList: %+v", resp.ModContactList)
	}
	if len(resp.DelContactList) != 1 || resp.DelContactList[0].UserName != "@b22d6a3f0e9d8c7b6a5f4e3d2c1b0a9f" {
		t.Errorf("DelContactList: %+v", resp.DelContactList)
	}
	if resp.Profile == nil || resp.Profile.BitFlag != 0 {
		t.Errorf("Profile: %+v", resp.Profile)
	}
	if resp.ContinueFlag != 1 || resp.SKey != "@crypt_5e1a9c3b_newkey" {
		t.Errorf("ContinueFlag %d SKey %q", resp.ContinueFlag, resp.SKey)
	}
	if got := resp.SyncKey.String(); got != "1_698325105|2_698325111|1000_1546210682" {
		t.Errorf("SyncKey %s", got)
	}
	if got := resp.SyncCheckKey.String(); got != "1_698325105|201_1546211542" {
		t.Errorf("SyncCheckKey %s", got)
	}

	// Each entry classifies from its decoded form and keeps its bytes.
	m := Classify(&first.Raw, first.JSON, newTestBook())
	if m.NewMsgID != "3225371967511173931" || m.Text != "明早<8点>" || !bytes.Equal(m.Raw, first.JSON) {
		t.Errorf("classified: %+v", m)
	}
}

func TestDecodeSyncResponseRet(t *testing.T) {
	for ret, sentinel := range map[int]error{1100: ErrLoggedOut, 1101: ErrSessionInvalid, 1102: ErrCookieInvalid, 1205: ErrTooOften} {
		body := `{"BaseResponse":{"Ret":` + strconv.Itoa(ret) + `,"ErrMsg":""},"AddMsgCount":0,"AddMsgList":[],"SyncKey":{"Count":0,"List":[]}}`
		resp, err := DecodeSyncResponse([]byte(body))
		if err != nil {
			t.Fatalf("Ret %d: decoding error %v", ret, err)
		}
		if e := resp.Err(); !errors.Is(e, sentinel) || !strings.HasPrefix(e.Error(), "webwxsync:") {
			t.Errorf("Ret %d: Err() = %v", ret, e)
		}
		if len(resp.Messages) != 0 {
			t.Errorf("Ret %d: messages from a refused sync", ret)
		}
	}
}

func TestDecodeSyncResponseTolerance(t *testing.T) {
	// One contact of an unexpected shape is dropped with a warning; the rest of the batch stays.
	body := strings.Replace(syncAnswer, `"ModContactList":[{"UserName"`, `"ModContactList":[{"UserName":"@bad","Uin":"not a number"},{"UserName"`, 1)
	body = strings.Replace(body, `"DelContactList":[`, `"DelContactList":["junk",`, 1)
	resp, err := DecodeSyncResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ModContactList) != 1 || resp.ModContactList[0].NickName != "周末徒步群" {
		t.Errorf("ModContactList %+v", resp.ModContactList)
	}
	if len(resp.DelContactList) != 1 {
		t.Errorf("DelContactList %+v", resp.DelContactList)
	}
	if len(resp.Warnings) != 2 || !errors.Is(resp.Warnings[0], ErrMalformed) || !strings.Contains(resp.Warnings[0].Error(), "ModContactList[0]") {
		t.Errorf("warnings %v", resp.Warnings)
	}
	if len(resp.Messages) != 2 {
		t.Errorf("messages lost: %d", len(resp.Messages))
	}

	// An entry with a field of the wrong type is kept, flagged, with what did decode.
	body = strings.Replace(syncAnswer, `"MsgType":49,`, `"MsgType":"49",`, 1)
	resp, err = DecodeSyncResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if e := resp.Messages[1]; !errors.Is(e.Err, ErrMalformed) || e.Raw.MsgID != "9007199254740993123" || len(e.JSON) == 0 {
		t.Errorf("bad entry: %+v", e)
	}

	// null lists are empty lists.
	resp, err = DecodeSyncResponse([]byte(`{"BaseResponse":{"Ret":0},"AddMsgList":null,"ModContactList":null,"Profile":null,"SyncKey":{"Count":0,"List":null}}`))
	if err != nil || len(resp.Messages) != 0 || resp.Profile != nil {
		t.Errorf("nulls: %+v, %v", resp, err)
	}
}

func TestDecodeSyncResponseMalformed(t *testing.T) {
	cases := map[string]string{
		"not json":            "<html>502</html>",
		"truncated":           syncAnswer[:200],
		"BaseResponse":        `{"BaseResponse":"ok"}`,
		"AddMsgList not list": `{"BaseResponse":{"Ret":0},"AddMsgList":{}}`,
		"SyncKey":             `{"BaseResponse":{"Ret":0},"SyncKey":{"Count":1,"List":[{"Key":"one"}]}}`,
		"ContinueFlag":        `{"BaseResponse":{"Ret":0},"ContinueFlag":"yes"}`,
	}
	for name, body := range cases {
		_, err := DecodeSyncResponse([]byte(body))
		if !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "webwxsync:") {
			t.Errorf("%s: error = %v", name, err)
		}
	}
}
