//! Checkout: what is bought, the quote, the card, the purchase.

use serde::{Deserialize, Serialize};

use crate::problem::FieldError;
use crate::validation::FieldErrors;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// What the Administrator buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeatureChoice {
    Sso,
    DirectorySync,
    Both,
}

impl FeatureChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureChoice::Sso => "sso",
            FeatureChoice::DirectorySync => "directory_sync",
            FeatureChoice::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sso" => Some(FeatureChoice::Sso),
            "directory_sync" => Some(FeatureChoice::DirectorySync),
            "both" => Some(FeatureChoice::Both),
            _ => None,
        }
    }

    pub fn includes_sso(self) -> bool {
        matches!(self, FeatureChoice::Sso | FeatureChoice::Both)
    }

    pub fn includes_directory_sync(self) -> bool {
        matches!(self, FeatureChoice::DirectorySync | FeatureChoice::Both)
    }

    /// The features bought with this choice.
    pub fn features(self) -> impl Iterator<Item = crate::provisioning::Feature> {
        use crate::provisioning::Feature;
        [self.includes_sso().then_some(Feature::Sso), self.includes_directory_sync().then_some(Feature::DirectorySync)]
            .into_iter()
            .flatten()
    }

    pub fn label(self) -> &'static str {
        match self {
            FeatureChoice::Sso => "Single Sign-On",
            FeatureChoice::DirectorySync => "Directory Sync",
            FeatureChoice::Both => "Single Sign-On + Directory Sync",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"features": "both"})))]
pub struct CheckoutRequest {
    pub features: FeatureChoice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LineItem {
    pub description: String,
    /// Minor units (cents).
    pub amount: i64,
}

/// A quote, valid for one hour.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CheckoutResponse {
    /// `chk_…`
    pub id: String,
    pub features: FeatureChoice,
    pub line_items: Vec<LineItem>,
    pub total: i64,
    pub currency: String,
    #[serde(with = "crate::time::utc")]
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Card details. Only brand, last 4 and expiry are ever kept.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
pub struct Payment {
    #[cfg_attr(
        feature = "openapi",
        schema(required = true, pattern = "^[0-9][0-9 -]{10,40}[0-9]$", example = "4242 4242 4242 4242")
    )]
    pub card_number: String,
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 1, maximum = 12))]
    pub exp_month: u32,
    #[cfg_attr(feature = "openapi", schema(required = true, minimum = 2000, maximum = 2200))]
    pub exp_year: u32,
    #[cfg_attr(feature = "openapi", schema(required = true, pattern = "^[0-9]{3,4}$"))]
    pub cvc: String,
    #[cfg_attr(feature = "openapi", schema(required = true, min_length = 1))]
    pub cardholder_name: String,
}

impl std::fmt::Debug for Payment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Payment(…)")
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(default)]
#[cfg_attr(feature = "openapi", schema(example = json!({"payment": {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "123", "cardholder_name": "Peter Gibbons"}})))]
pub struct ConfirmRequest {
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub payment: Payment,
}

/// A card that passed every check that needs no processor.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidCard {
    pub number: String,
    pub brand: &'static str,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

impl std::fmt::Debug for ValidCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ValidCard({} …{})", self.brand, self.last4)
    }
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The number lengths a brand issues (what a processor accepts); none for a
/// brand we do not take.
pub fn card_lengths(brand: &str) -> &'static [usize] {
    match brand {
        "visa" => &[13, 16, 19],
        "mastercard" => &[16],
        "amex" => &[15],
        "discover" => &[16, 17, 18, 19],
        _ => &[],
    }
}

/// How a brand's number is grouped for reading: American Express 4-6-5,
/// the others in fours.
fn card_groups(brand: &str) -> &'static [usize] {
    if brand == "amex" { &[4, 6, 5] } else { &[4, 4, 4, 4, 3] }
}

/// The digits typed so far, grouped as the card shows them
/// (`4242 4242 4242 4242`, `3782 822463 10005`); anything but digits is
/// dropped and at most 19 digits are kept.
pub fn format_card_number(input: &str) -> String {
    let all: String = input.chars().filter(char::is_ascii_digit).take(19).collect();
    // An American Express number has 15 digits: more are not kept.
    let longest = card_lengths(card_brand(&all)).iter().max().copied().unwrap_or(19);
    let digits: String = all.chars().take(longest).collect();
    let mut out = String::with_capacity(digits.len() + 4);
    let mut rest = digits.as_str();
    for &size in card_groups(card_brand(&digits)) {
        if rest.is_empty() {
            break;
        }
        let (group, tail) = rest.split_at(size.min(rest.len()));
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(group);
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Why a card number cannot be charged, in words for the person typing it;
/// `Ok(brand)` when it can be tried.
pub fn check_card_number(digits: &str) -> Result<&'static str, &'static str> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("A card number has only digits. Check what you typed.");
    }
    let brand = card_brand(digits);
    let lengths = card_lengths(brand);
    if lengths.is_empty() {
        return Err("This card is not one we accept: use a Visa, Mastercard, American Express or Discover card.");
    }
    if !lengths.contains(&digits.len()) {
        return Err(match brand {
            "amex" => "An American Express card number has 15 digits. Check the digits.",
            "mastercard" => "A Mastercard number has 16 digits. Check the digits.",
            "visa" => "A Visa card number has 16 digits (a few have 13 or 19). Check the digits.",
            _ => "A Discover card number has 16 to 19 digits. Check the digits.",
        });
    }
    if !luhn_ok(digits) {
        return Err("This card number is not valid. Check the digits.");
    }
    Ok(brand)
}

/// Discover's co-branded range 622126–622925.
fn discover_622(digits: &str) -> bool {
    digits.get(..6).and_then(|s| s.parse::<u32>().ok()).is_some_and(|n| (622_126..=622_925).contains(&n))
}

/// The brand a card number's first digits name (`unknown` otherwise).
pub fn card_brand(digits: &str) -> &'static str {
    let n2: u32 = digits.get(..2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let n4: u32 = digits.get(..4).and_then(|s| s.parse().ok()).unwrap_or(0);
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&n2) || (2221..=2720).contains(&n4) => "mastercard",
        _ if n2 == 34 || n2 == 37 => "amex",
        _ if n4 == 6011 || n2 == 65 || (644..=649).contains(&(n4 / 10)) || discover_622(digits) => "discover",
        _ => "unknown",
    }
}

impl Payment {
    /// `year`/`month`: today, so a card that expired is refused.
    pub fn validate(&self, year: u32, month: u32) -> Result<ValidCard, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let number: String = self.card_number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if number.is_empty() {
            e.push(FieldError::new("payment.card_number", "required", "Enter the card number."));
        } else if let Err(why) = check_card_number(&number) {
            e.push(FieldError::new("payment.card_number", "invalid_card_number", why));
        }
        if !(1..=12).contains(&self.exp_month) {
            e.push(FieldError::new("payment.exp_month", "invalid_expiry", "Enter the expiry month (1–12)."));
        } else if self.exp_year > year + 30 {
            e.push(FieldError::new(
                "payment.exp_year",
                "invalid_expiry",
                "Check the expiry year: it is too far ahead.",
            ));
        } else if self.exp_year < year || (self.exp_year == year && self.exp_month < month) {
            e.push(FieldError::new("payment.exp_year", "card_expired", "This card has expired. Use another card."));
        }
        let amex = card_brand(&number) == "amex";
        let cvc_ok = self.cvc.bytes().all(|b| b.is_ascii_digit()) && self.cvc.len() == if amex { 4 } else { 3 };
        if !cvc_ok {
            e.push(FieldError::new(
                "payment.cvc",
                "invalid_cvc",
                if amex {
                    "Enter the 4-digit security code."
                } else {
                    "Enter the 3-digit security code on the back of the card."
                },
            ));
        }
        if self.cardholder_name.trim().is_empty() {
            e.push(FieldError::new("payment.cardholder_name", "required", "Enter the name on the card."));
        }
        if !e.is_empty() {
            return Err(e.into_vec());
        }
        Ok(ValidCard {
            brand: card_brand(&number),
            last4: number[number.len() - 4..].to_owned(),
            number,
            exp_month: self.exp_month,
            exp_year: self.exp_year,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Purchase {
    /// `pur_…`
    pub id: String,
    pub features: FeatureChoice,
    /// Minor units (cents), for one year.
    pub amount: i64,
    pub currency: String,
    pub card: CardSummary,
    /// When it was paid.
    #[serde(with = "crate::time::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The organization's purchases, newest first: each is its receipt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PurchasesResponse {
    pub data: Vec<Purchase>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What each choice costs, shown before choosing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PriceList {
    /// ISO 4217, lower case (`usd`).
    pub currency: String,
    /// What a price pays for: `year`.
    pub period: String,
    /// Minor units (cents) per period.
    pub sso: i64,
    pub directory_sync: i64,
    pub both: i64,
    /// The sandbox gateway is on: no card is really charged.
    pub test_mode: bool,
}

impl PriceList {
    pub fn price(&self, choice: FeatureChoice) -> i64 {
        match choice {
            FeatureChoice::Sso => self.sso,
            FeatureChoice::DirectorySync => self.directory_sync,
            FeatureChoice::Both => self.both,
        }
    }

    /// What Both saves against buying the two apart (0 when it does not).
    pub fn both_saves(&self) -> i64 {
        self.sso.saturating_add(self.directory_sync).saturating_sub(self.both).max(0)
    }
}

/// `$2,000.00`: the currency's sign (or its code), thousands separated,
/// two decimals.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let units = (minor / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let symbol = match currency {
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        _ => "",
    };
    let code = if symbol.is_empty() { format!(" {}", currency.to_uppercase()) } else { String::new() };
    format!("{sign}{symbol}{grouped}.{:02}{code}", minor % 100)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ConfirmResponse {
    pub purchase: Purchase,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(number: &str, m: u32, y: u32, cvc: &str) -> Payment {
        Payment {
            card_number: number.into(),
            exp_month: m,
            exp_year: y,
            cvc: cvc.into(),
            cardholder_name: "Ada".into(),
        }
    }

    #[test]
    fn test_cards_pass_luhn_and_show_brand() {
        let c = pay("4242 4242 4242 4242", 12, 2030, "123").validate(2026, 11).unwrap();
        assert_eq!((c.brand, c.last4.as_str(), c.number.as_str()), ("visa", "4242", "4242424242424242"));
        assert_eq!(format!("{c:?}"), "ValidCard(visa …4242)");
        assert_eq!(format!("{:?}", pay("4242424242424242", 1, 2030, "123")), "Payment(…)");
        assert_eq!(card_brand("5555555555554444"), "mastercard");
    }

    #[test]
    fn bad_number_expiry_and_cvc_each_have_a_field() {
        let codes = |p: Payment| p.validate(2026, 11).unwrap_err().into_iter().map(|e| e.code).collect::<Vec<_>>();
        assert_eq!(codes(pay("4242424242424241", 12, 2030, "123")), ["invalid_card_number"]);
        assert_eq!(codes(pay("4242424242424242", 10, 2026, "123")), ["card_expired"]);
        assert_eq!(codes(pay("4242424242424242", 10, 2099, "123")), ["invalid_expiry"]);
        assert_eq!(codes(pay("4242424242424242", 13, 2030, "12")), ["invalid_expiry", "invalid_cvc"]);
        assert!(pay("4242424242424242", 11, 2026, "123").validate(2026, 11).is_ok());
    }

    /// Mistyped numbers that still pass the Luhn check are refused by length
    /// (each of these was charged before).
    #[test]
    fn each_brand_has_its_own_lengths() {
        let code = |n: &str| pay(n, 12, 2030, "123").validate(2026, 11).map(|c| c.brand);
        for short in ["4242 4242 4242", "424242424242424", "42424242424242"] {
            let digits: String = short.chars().filter(char::is_ascii_digit).collect();
            let luhn = luhn_ok(&digits);
            assert!(code(short).is_err(), "{short} (luhn {luhn}) must be refused");
        }
        assert!(luhn_ok("424242424242"), "the mistyped 12-digit number passes Luhn; only its length gives it away");
        assert_eq!(
            check_card_number("424242424242"),
            Err("A Visa card number has 16 digits (a few have 13 or 19). Check the digits.")
        );
        assert_eq!(code("4222222222222"), Ok("visa"), "13-digit Visa");
        assert!(pay("378282246310005", 12, 2030, "1234").validate(2026, 11).is_ok());
        assert!(check_card_number("37828224631000").is_err(), "14-digit Amex");
        assert_eq!(code("6011111111111117"), Ok("discover"));
        assert_eq!(code("5555555555554444"), Ok("mastercard"));
        assert!(check_card_number("3530111333300000").unwrap_err().contains("not one we accept"), "JCB");
    }

    #[test]
    fn money_reads_as_people_write_it() {
        assert_eq!(format_money(200_000, "usd"), "$2,000.00");
        assert_eq!(format_money(120_050, "eur"), "€1,200.50");
        assert_eq!(format_money(99, "usd"), "$0.99");
        assert_eq!(format_money(123_456_789, "usd"), "$1,234,567.89");
        assert_eq!(format_money(100_000, "chf"), "1,000.00 CHF");
        assert_eq!(format_money(-500, "usd"), "-$5.00");
        let prices = PriceList {
            currency: "usd".into(),
            period: "year".into(),
            sso: 120_000,
            directory_sync: 120_000,
            both: 200_000,
            test_mode: true,
        };
        assert_eq!((prices.price(FeatureChoice::Both), prices.both_saves()), (200_000, 40_000));
    }

    #[test]
    fn numbers_are_grouped_as_the_card_shows_them() {
        assert_eq!(format_card_number("4242424242424242"), "4242 4242 4242 4242");
        assert_eq!(format_card_number("4242-42"), "4242 42");
        assert_eq!(format_card_number("378282246310005"), "3782 822463 10005");
        assert_eq!(format_card_number("4242424242424242123"), "4242 4242 4242 4242 123");
        assert_eq!(format_card_number("42424242424242421234"), "4242 4242 4242 4242 123");
        assert_eq!(format_card_number(""), "");
        assert_eq!(format_card_number("3782822463100051234"), "3782 822463 10005", "Amex has 15 digits");
        assert_eq!(card_brand("6445644564456445"), "discover");
        assert_eq!(card_brand("6221260000000000"), "discover");
    }
}
