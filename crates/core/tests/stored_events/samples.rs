//! One realistic event of every type, from which the golden fixtures under
//! `tests/data/events/` were first written (`KASSA_BLESS=1`). The fixtures,
//! not these values, are the truth: a sample only matters when a new event
//! type or a new schema version needs its first fixture.

use jiff::Timestamp;
use jiff::civil::date;
use kassa_core::access::{
    BookRole, BookRoleGranted, BookRoleRevoked, OrgCreated, OrgMemberRemoved, OrgMemberSet, OrgRole, PasswordChanged,
    Principal, TokenIssued, TokenKind, TokenRevoked, UserDisabled, UserRegistered,
};
use kassa_core::bucket::{BucketAssigned, BucketMoved, BucketSet};
use kassa_core::budget::{BudgetHeld, BudgetMode, BudgetModeSet, BudgetMoved, BudgetSet, CarryoverSet};
use kassa_core::categorize::{Action, Condition, Field, Op, Predicate, Rule};
use kassa_core::event::{
    AccountRenamed, Annotated, AnnotationRestored, BookClosed, BookRenamed, Deleted, FxRatesImported, Recategorized,
    RuleDeleted, Suggested,
};
use kassa_core::goal::{GoalLink, GoalSet};
use kassa_core::import::{
    BatchUndone, Fingerprint, ImportBatch, ImportCounts, ImportReviews, ImportRows, ImportedRow, ImportedTrade,
    ProfileSaved, ReviewItem, ReviewKind, ReviewOutcome, ReviewResolved, TradeExtra, TradesImported,
};
use kassa_core::loan::{LoanKind, LoanRecorded};
use kassa_core::portfolio::events::{CostMethodSet, InstrumentSet, PricePoint, PricesImported};
use kassa_core::portfolio::{CostMethod, InstrumentKind};
use kassa_core::recurring::{RecurringConfirmed, RecurringDismissed, RecurringRenamed, SeriesId};
use kassa_core::report::Month;
use kassa_core::report::fx::FxRate;
use kassa_core::{
    Account, AccountId, AccountKind, BatchId, Book, BookId, Category, CategoryId, CategoryName, CategorySource,
    Currency, Event, Iban, Leg, Money, OrgId, Owner, Posting, Postings, ReviewId, Section, Status, Transaction, TxId,
    UserId,
};
use rust_decimal::Decimal;
use uuid::Uuid;

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

const BOOK: &str = "0193a1f2-7c4e-7b21-9d3a-5e8f10c2a401";
const CHECKING: &str = "0193a1f2-8011-7c02-8e11-41b7d0c9e502";
const DOLLARS: &str = "0193a1f2-8a52-7d13-a4f0-0d2c66b1f703";
const GROCERIES: &str = "0193a1f3-0a10-7e44-b2c1-7f9e3d4a5b04";
const EATING_OUT: &str = "0193a1f3-0b21-7f55-83d2-6a0e1c2b3d05";
const TX: &str = "0193b7c4-1e2f-7a66-9c3b-2d4e5f607106";
const TX2: &str = "0193b7c4-2f30-7b77-ad4c-3e5f60718207";
const RUN: &str = "0193c2d5-4a5b-7c88-be5d-4f6071829308";
const BATCH: &str = "0193c9e6-5b6c-7d99-8f6e-50718293a409";
const REVIEW: &str = "0193c9e6-6c7d-7eaa-907f-6182930b4e0a";
const USER: &str = "0193a0e1-1a2b-7fbb-a180-72930b1c5f0b";
const ORG: &str = "0193a0e1-2b3c-70cc-b291-830b1c2d600c";
const TOKEN: &str = "0193d0f7-3c4d-71dd-83a2-940c1d2e710d";

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).unwrap()
}

fn usd(s: &str) -> Money {
    Money::parse(s, Currency::USD).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn fingerprint(hex: &str) -> Fingerprint {
    Fingerprint::from_hex(hex).unwrap()
}

/// A card payment at a supermarket, categorised.
fn groceries_postings() -> Postings {
    Postings::new(vec![
        Posting { leg: Leg::Account(AccountId(uuid(CHECKING))), amount: eur("-42.17") },
        Posting { leg: Leg::Category(CategoryId(uuid(GROCERIES))), amount: eur("42.17") },
    ])
    .unwrap()
}

fn review_item() -> ReviewItem {
    ReviewItem {
        review_id: ReviewId(uuid(REVIEW)),
        kind: ReviewKind::Transfer,
        account_id: AccountId(uuid(CHECKING)),
        date: date(2025, 3, 3),
        amount: dec("-500.00"),
        description: "SEPA Überweisung an Tagesgeld".into(),
        counterparty: Some("Max Mustermann".into()),
        external_id: Some("2025030312345".into()),
        category: Some("Savings Transfer".into()),
        pending: true,
        fingerprint: fingerprint("9f86d081884c7d659a2feaa0c55ad015"),
        matched: vec![TxId(uuid(TX)), TxId(uuid(TX2))],
        to_account: Some(AccountId(uuid(DOLLARS))),
        to_amount: Some(dec("541.25")),
        source: "umsaetze-2025-03.csv:17".into(),
    }
}

fn rule() -> Rule {
    Rule {
        id: "supermarkets".into(),
        name: "Supermarkets".into(),
        position: 20,
        enabled: false,
        stop_processing: true,
        conditions: Condition::All(vec![
            Condition::Any(vec![
                Condition::leaf(Field::Description, Op::Contains("rewe".into())),
                Condition::Leaf(Predicate {
                    field: Field::Counterparty,
                    op: Op::Regex(r"^(EDEKA|ALDI)\b".into()),
                    case_sensitive: true,
                }),
                Condition::leaf(Field::Counterparty, Op::StartsWith("Lidl".into())),
                Condition::leaf(Field::Description, Op::EndsWith("SAGT DANKE".into())),
                Condition::leaf(Field::Counterparty, Op::Equals("Netto Marken-Discount".into())),
            ]),
            Condition::leaf(Field::Amount, Op::IsOutflow),
            // What the v1 fixture's `amount between [-250.00, -1.00]` always meant.
            Condition::leaf(Field::Magnitude, Op::Between("250.00".into(), "1.00".into())),
            Condition::leaf(Field::Currency, Op::OneOf(vec!["EUR".into(), "CHF".into()])),
            Condition::Not(Box::new(Condition::leaf(Field::Account, Op::Equals("Credit Card".into())))),
            Condition::leaf(Field::Date, Op::Ge("2024-01-01".into())),
            Condition::leaf(Field::Date, Op::Le("2026-12-31".into())),
            Condition::leaf(Field::Magnitude, Op::Gt("300".into())),
            Condition::leaf(Field::Magnitude, Op::Lt("0".into())),
        ]),
        actions: vec![
            Action::SetCategory("Groceries".into()),
            Action::SetCounterparty("Supermarket".into()),
            Action::AddTags(vec!["food".into(), "household".into()]),
            Action::MarkTransfer(false),
            Action::SetNotes("weekly shop".into()),
        ],
    }
}

/// Every sample, keyed by its event type; one per type.
pub fn samples() -> Vec<Event> {
    vec![
        Event::BookOpened(Book {
            id: BookId(uuid(BOOK)),
            name: "Household 2025".into(),
            owner: Owner::Organisation(OrgId(uuid(ORG))),
        }),
        Event::AccountOpened(Account {
            id: AccountId(uuid(CHECKING)),
            name: "Girokonto".into(),
            kind: AccountKind::Checking,
            currency: Currency::EUR,
            iban: Some(Iban::parse("DE89 3704 0044 0532 0130 00").unwrap()),
            number: Some("0532013000".into()),
            institution: Some("Commerzbank".into()),
            location: Some("online".into()),
            opened_on: date(2019, 4, 1),
        }),
        Event::CategoryAdded(Category {
            id: CategoryId(uuid(EATING_OUT)),
            name: CategoryName::parse("Eating Out:Coffee").unwrap(),
            section: Section::Expense,
        }),
        // A transfer between currencies: two account legs, two conversion legs.
        Event::TransactionRecorded(Transaction {
            id: TxId(uuid(TX2)),
            date: date(2025, 3, 4),
            description: "Transfer to USD account".into(),
            postings: Postings::new(vec![
                Posting { leg: Leg::Account(AccountId(uuid(CHECKING))), amount: eur("-500.00") },
                Posting { leg: Leg::Conversion, amount: eur("500.00") },
                Posting { leg: Leg::Conversion, amount: usd("-541.25") },
                Posting { leg: Leg::Account(AccountId(uuid(DOLLARS))), amount: usd("541.25") },
            ])
            .unwrap(),
            counterparty: Some("Wise".into()),
            tags: vec!["travel".into(), "fx".into()],
            notes: Some("rate 1.0825".into()),
            external_id: Some("TRWISE-88213".into()),
            status: Status::Pending,
            category_source: Some(CategorySource::Import),
        }),
        Event::TransactionRecategorized(Recategorized {
            tx_id: TxId(uuid(TX)),
            category: Some(CategoryId(uuid(GROCERIES))),
            postings: groceries_postings(),
            source: Some(CategorySource::Rule),
            previous: Some(CategoryId(uuid(EATING_OUT))),
            previous_source: Some(CategorySource::Model),
            run: Some(uuid(RUN)),
        }),
        Event::TransactionDeleted(Deleted { tx_id: TxId(uuid(TX)) }),
        Event::TransactionAnnotated(Annotated {
            tx_id: TxId(uuid(TX)),
            counterparty: Some("REWE".into()),
            tags: vec!["food".into(), "weekly".into()],
            notes: Some("paid with the shared card".into()),
            run: Some(uuid(RUN)),
        }),
        Event::TransactionAnnotationRestored(AnnotationRestored {
            tx_id: TxId(uuid(TX)),
            counterparty: None,
            tags: vec!["weekly".into()],
            notes: Some("before the rule".into()),
            run: uuid(RUN),
        }),
        Event::CategorySuggested(Suggested {
            tx_id: TxId(uuid(TX)),
            category: CategoryId(uuid(GROCERIES)),
            confidence_permille: 812,
        }),
        Event::RuleSaved(rule()),
        Event::RuleDeleted(RuleDeleted { rule_id: "supermarkets".into() }),
        Event::ImportBatchRecorded(ImportBatch {
            batch_id: BatchId(uuid(BATCH)),
            file_name: "umsaetze-2025-03.csv".into(),
            sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b".into(),
            format: "csv:sparkasse".into(),
            counts: ImportCounts {
                rows: 143,
                new: 120,
                duplicates: 14,
                needs_review: 3,
                deleted: 1,
                errors: 2,
                transfers: 2,
                trades: 1,
            },
        }),
        Event::ImportRowsRecorded(ImportRows {
            batch_id: BatchId(uuid(BATCH)),
            rows: vec![
                ImportedRow {
                    tx_id: TxId(uuid(TX)),
                    account_id: AccountId(uuid(CHECKING)),
                    date: date(2025, 3, 1),
                    fingerprint: fingerprint("a1b2c3d4e5f60718293a4b5c6d7e8f90"),
                    external_id: Some("2025030100017".into()),
                    pending: false,
                },
                ImportedRow {
                    tx_id: TxId(uuid(TX2)),
                    account_id: AccountId(uuid(CHECKING)),
                    date: date(2025, 3, 4),
                    fingerprint: fingerprint("0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
                    external_id: None,
                    pending: true,
                },
            ],
        }),
        Event::ImportReviewHeld(ImportReviews { batch_id: BatchId(uuid(BATCH)), items: vec![review_item()] }),
        Event::ImportReviewResolved(ReviewResolved {
            review_id: ReviewId(uuid(REVIEW)),
            batch_id: BatchId(uuid(BATCH)),
            item: review_item(),
            resolution: ReviewOutcome::Recorded { tx_id: TxId(uuid(TX2)) },
        }),
        Event::ImportBatchUndone(BatchUndone { batch_id: BatchId(uuid(BATCH)) }),
        Event::TradesImported(TradesImported {
            batch_id: BatchId(uuid(BATCH)),
            trades: vec![ImportedTrade {
                account_id: AccountId(uuid(DOLLARS)),
                trade_time: "2025-03-05T15:31:07+01:00".into(),
                date: date(2025, 3, 5),
                symbol: Some("VWCE".into()),
                isin: Some("IE00BK5BQT80".into()),
                side: "BUY".into(),
                quantity: dec("3"),
                price: dec("124.38"),
                fees: dec("1.00"),
                currency: Currency::EUR,
                external_id: Some("DEGIRO-7731942".into()),
                extra: TradeExtra::default(),
            }],
        }),
        Event::ImportProfileSaved(ProfileSaved {
            name: "my-bank".into(),
            toml: "delimiter = \";\"\ndecimal = \",\"\n\n[columns]\ndate = \"Buchungstag\"\namount = \"Betrag\"\n"
                .into(),
        }),
        Event::FxRatesImported(FxRatesImported {
            rates: vec![
                FxRate { date: date(2025, 3, 3), base: Currency::EUR, quote: Currency::USD, rate: dec("1.0825") },
                FxRate { date: date(2025, 3, 3), base: Currency::EUR, quote: Currency::JPY, rate: dec("161.12") },
            ],
        }),
        Event::UserRegistered(UserRegistered {
            user_id: UserId(uuid(USER)),
            email: "erika.mustermann@example.org".into(),
            password_hash:
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Rdescudvrd9cvs4s1Bl5hqSvgRUdTNWrvzKLm9dV+nE".into(),
            platform_admin: true,
        }),
        Event::PasswordChanged(PasswordChanged {
            user_id: UserId(uuid(USER)),
            password_hash:
                "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$q0qGJ3a2Xh1w0mZB8H0e5m2G1oVt0Kq7Yy3t2b1c0dE".into(),
        }),
        Event::UserDisabled(UserDisabled { user_id: UserId(uuid(USER)) }),
        Event::TokenIssued(TokenIssued {
            token_id: uuid(TOKEN),
            user_id: UserId(uuid(USER)),
            kind: TokenKind::Invite,
            token_hash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            expires_at: "2025-03-08T09:30:00.123456Z".parse::<Timestamp>().unwrap(),
        }),
        Event::TokenRevoked(TokenRevoked { token_id: uuid(TOKEN) }),
        Event::OrgCreated(OrgCreated { org_id: OrgId(uuid(ORG)), name: "Mustermann family".into() }),
        Event::OrgMemberSet(OrgMemberSet {
            org_id: OrgId(uuid(ORG)),
            user_id: UserId(uuid(USER)),
            role: OrgRole::Admin,
        }),
        Event::OrgMemberRemoved(OrgMemberRemoved { org_id: OrgId(uuid(ORG)), user_id: UserId(uuid(USER)) }),
        Event::BookRoleGranted(BookRoleGranted {
            book_id: BookId(uuid(BOOK)),
            principal: Principal::User(UserId(uuid(USER))),
            role: BookRole::Spender,
            account_id: Some(AccountId(uuid(CHECKING))),
        }),
        Event::BookRoleRevoked(BookRoleRevoked {
            book_id: BookId(uuid(BOOK)),
            principal: Principal::Organisation(OrgId(uuid(ORG))),
        }),
        Event::BookRenamed(BookRenamed { name: "Household (shared)".into() }),
        Event::BookClosed(BookClosed { book_id: BookId(uuid(BOOK)) }),
        Event::AccountRenamed(AccountRenamed { account_id: AccountId(uuid(DOLLARS)), name: "Wise USD".into() }),
        Event::BudgetSet(BudgetSet {
            category: CategoryId(uuid(GROCERIES)),
            from: Month { year: 2025, month: 3 },
            through: Month { year: 2025, month: 12 },
            amount: eur("450.00"),
            cap: Some(eur("100.00")),
        }),
        Event::BudgetCarryoverSet(CarryoverSet {
            category: CategoryId(uuid(EATING_OUT)),
            month: Month { year: 2025, month: 3 },
            on: true,
            cap: Some(eur("50.00")),
        }),
        Event::BudgetMoved(BudgetMoved {
            from: CategoryId(uuid(GROCERIES)),
            to: CategoryId(uuid(EATING_OUT)),
            month: Month { year: 2025, month: 4 },
            amount: eur("25.50"),
        }),
        Event::BudgetHeld(BudgetHeld { month: Month { year: 2025, month: 4 }, amount: eur("300.00") }),
        Event::BudgetModeSet(BudgetModeSet { mode: BudgetMode::Tracking }),
        Event::RecurringConfirmed(RecurringConfirmed { series_id: SeriesId(0x3fa9_c2d1_0b7e_4412) }),
        Event::RecurringDismissed(RecurringDismissed { series_id: SeriesId(0x00c0_ffee_1234_5678) }),
        Event::RecurringRenamed(RecurringRenamed {
            series_id: SeriesId(0x3fa9_c2d1_0b7e_4412),
            name: "Netflix (family plan)".into(),
        }),
        Event::PricesImported(PricesImported {
            prices: vec![
                PricePoint {
                    date: date(2025, 3, 5),
                    symbol: "VWCE".into(),
                    price: dec("124.52"),
                    currency: Currency::EUR,
                },
                PricePoint {
                    date: date(2025, 3, 5),
                    symbol: "US0378331005".into(),
                    price: dec("235.7431"),
                    currency: Currency::USD,
                },
            ],
        }),
        Event::CostMethodSet(CostMethodSet { account_id: AccountId(uuid(DOLLARS)), method: CostMethod::Hifo }),
        Event::InstrumentSet(InstrumentSet {
            instrument: "IE00B3RBWM25".into(),
            name: Some("Vanguard FTSE All-World UCITS ETF".into()),
            kind: Some(InstrumentKind::Etf),
        }),
        Event::BucketSet(BucketSet {
            name: "Savings".into(),
            percent: Decimal::new(125, 1),
            income_categories: vec![CategoryId(uuid(GROCERIES))],
            accounts: vec![AccountId(uuid(CHECKING))],
            from: date(2025, 4, 1),
        }),
        Event::BucketMoved(BucketMoved {
            from: "Savings".into(),
            to: "Holidays".into(),
            amount: eur("40.00"),
            date: date(2025, 4, 15),
        }),
        Event::BucketAssigned(BucketAssigned { tx_id: TxId(uuid(TX)), bucket: Some("Holidays".into()) }),
        Event::LoanRecorded(LoanRecorded { tx_id: TxId(uuid(TX)), counterparty: "Anna".into(), kind: LoanKind::Give }),
        Event::GoalSet(GoalSet {
            name: "Emergency fund".into(),
            target: eur("10000.00"),
            by: date(2025, 12, 31),
            link: GoalLink::Accounts(vec![AccountId(uuid(CHECKING))]),
        }),
    ]
}

/// Further fixtures of types whose one sample cannot show every shape:
/// (label, event), written as `<type>.v<N>.<label>.json`.
pub fn extra_samples() -> Vec<(&'static str, Event)> {
    vec![
        (
            "kind_only",
            Event::InstrumentSet(InstrumentSet {
                instrument: "VTI".into(),
                name: None,
                kind: Some(InstrumentKind::Stock),
            }),
        ),
        (
            "expense",
            Event::TransactionRecorded(Transaction {
                id: TxId(uuid(TX)),
                date: date(2025, 3, 1),
                description: "VISA 4411 REWE SAGT DANKE 12.05 MUENCHEN".into(),
                postings: groceries_postings(),
                counterparty: None,
                tags: vec![],
                notes: None,
                external_id: None,
                status: Status::Booked,
                category_source: Some(CategorySource::Manual),
            }),
        ),
        (
            "uncategorized",
            Event::TransactionRecategorized(Recategorized {
                tx_id: TxId(uuid(TX)),
                category: None,
                postings: groceries_postings().recategorized(None),
                source: None,
                previous: None,
                previous_source: None,
                run: None,
            }),
        ),
        (
            "bucket",
            Event::GoalSet(GoalSet {
                name: "Holidays".into(),
                target: eur("1200.00"),
                by: date(2025, 7, 1),
                link: GoalLink::Bucket("Holidays".into()),
            }),
        ),
        ("local", Event::BookOpened(Book { id: BookId(uuid(BOOK)), name: "Personal".into(), owner: Owner::Local })),
        (
            "cash",
            Event::AccountOpened(Account {
                id: AccountId(uuid(DOLLARS)),
                name: "Wallet".into(),
                kind: AccountKind::Cash,
                currency: Currency::JPY,
                iban: None,
                number: None,
                institution: None,
                location: None,
                opened_on: date(2024, 11, 20),
            }),
        ),
        (
            "dismissed",
            Event::ImportReviewResolved(ReviewResolved {
                review_id: ReviewId(uuid(REVIEW)),
                batch_id: BatchId(uuid(BATCH)),
                item: review_item(),
                resolution: ReviewOutcome::Dismissed,
            }),
        ),
        (
            "duplicate",
            Event::ImportReviewResolved(ReviewResolved {
                review_id: ReviewId(uuid(REVIEW)),
                batch_id: BatchId(uuid(BATCH)),
                item: ReviewItem {
                    kind: ReviewKind::PossibleDuplicate,
                    counterparty: None,
                    external_id: None,
                    category: None,
                    pending: false,
                    matched: vec![TxId(uuid(TX))],
                    to_account: None,
                    to_amount: None,
                    ..review_item()
                },
                resolution: ReviewOutcome::Duplicate { of: TxId(uuid(TX)) },
            }),
        ),
        (
            "uncapped",
            Event::BudgetCarryoverSet(CarryoverSet {
                category: CategoryId(uuid(GROCERIES)),
                month: Month { year: 2025, month: 6 },
                on: false,
                cap: None,
            }),
        ),
        (
            "signed",
            Event::RuleSaved(Rule::new(
                "Refunds",
                Condition::All(vec![
                    Condition::leaf(Field::Amount, Op::Between("0.01".into(), "20".into())),
                    Condition::leaf(Field::Magnitude, Op::Ge("1".into())),
                ]),
                vec![Action::SetCategory("Refunds".into())],
            )),
        ),
        (
            "bucket",
            Event::RuleSaved(Rule::new(
                "Flights",
                Condition::leaf(Field::Description, Op::Contains("lufthansa".into())),
                vec![Action::SetCategory("Travel".into()), Action::SetBucket("Holidays".into())],
            )),
        ),
        (
            "minimal",
            Event::RuleSaved(Rule::new(
                "Coffee",
                Condition::leaf(Field::Description, Op::Contains("espresso".into())),
                vec![Action::SetCategory("Eating Out:Coffee".into()), Action::MarkTransfer(true)],
            )),
        ),
        (
            "viewer",
            Event::BookRoleGranted(BookRoleGranted {
                book_id: BookId(uuid(BOOK)),
                principal: Principal::Organisation(OrgId(uuid(ORG))),
                role: BookRole::Viewer,
                account_id: None,
            }),
        ),
    ]
}
