//! The vocabularies an incident is described with (see shared/reference glossary).

use crate::text_enum;

text_enum! {
    pub enum Severity {
        ExtremelyMajor => "extremely_major",
        Major => "major",
        Significant => "significant",
        General => "general",
    }
}

impl Severity {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::ExtremelyMajor => "特别重大",
            Self::Major => "重大",
            Self::Significant => "较大",
            Self::General => "一般",
        }
    }
}

text_enum! {
    /// How the incident is handled; false_information is also referred to the police
    /// or the cyberspace authority.
    pub enum Category {
        Suggestion => "suggestion",
        Hardship => "hardship",
        MajorProblem => "major_problem",
        Misunderstanding => "misunderstanding",
        WrongView => "wrong_view",
        FalseInformation => "false_information",
        Other => "other",
    }
}

text_enum! {
    pub enum SourceChannel {
        Weibo => "weibo",
        Wechat => "wechat",
        NewsSite => "news_site",
        Forum => "forum",
        ShortVideo => "short_video",
        Hotline12366 => "hotline_12366",
        Petition => "petition",
        MediaInquiry => "media_inquiry",
        Other => "other",
    }
}

impl SourceChannel {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Weibo => "微博",
            Self::Wechat => "微信",
            Self::NewsSite => "新闻网站",
            Self::Forum => "论坛",
            Self::ShortVideo => "短视频",
            Self::Hotline12366 => "12366热线",
            Self::Petition => "信访",
            Self::MediaInquiry => "媒体问询",
            Self::Other => "其他",
        }
    }
}

text_enum! {
    /// Sensitive periods named by the rules.
    pub enum SpecialTopic {
        TwoSessions => "two_sessions",
        EconomicData => "economic_data",
        MajorReform => "major_reform",
        Inspection => "inspection",
        Emergency => "emergency",
    }
}

text_enum! {
    pub enum ReferralAuthority {
        Police => "police",
        Cyberspace => "cyberspace",
    }
}

impl Category {
    /// The kinds of concern the rules distinguish (合理建议、实际困难、重大问题、误解、
    /// 错误观点、虚假信息).
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Suggestion => "合理建议",
            Self::Hardship => "实际困难",
            Self::MajorProblem => "重大问题",
            Self::Misunderstanding => "误解误读",
            Self::WrongView => "错误观点",
            Self::FalseInformation => "虚假信息",
            Self::Other => "其他",
        }
    }
}

impl SpecialTopic {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::TwoSessions => "全国两会",
            Self::EconomicData => "经济数据发布",
            Self::MajorReform => "重大改革",
            Self::Inspection => "督查检查",
            Self::Emergency => "突发事件",
        }
    }
}

impl ReferralAuthority {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Police => "公安机关",
            Self::Cyberspace => "网信部门",
        }
    }
}
