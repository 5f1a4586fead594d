//! A deterministic generator of categorised multi-locale bank histories, for
//! evaluating the categoriser without anyone's real data.
//!
//! One household per locale (EN, DE, NL, ES, NO, FR), each with a checking
//! account and a card, merged into one history. About 40 categories, each
//! with typical amounts, a monthly rate, well-known brands per country and
//! *generic* merchants invented from random syllables — sometimes with a
//! category word in the name ("KORVALI APOTHEKE", "Panaderia Tisdel"),
//! sometimes bare ("BRENTOS"), because that is what real unseen shops look
//! like. New generic merchants keep appearing month by month, so a model
//! trained on the past always meets shops it has never seen; bare ones can
//! only be guessed from amount, account and channel, and the evaluation
//! counts them honestly.
//!
//! Descriptions are rendered in the style of each country's banks: card
//! prefixes and masks, store numbers, cities, dates, times, SEPA reference
//! fields, wallet wrappers (PAYPAL *, SQ *), legal suffixes, truncation and
//! case noise. Bills recur on fixed days with stable amounts; salary arrives
//! at month end.
//!
//! Everything is a pure function of the seed (SplitMix64). Amounts are built
//! in integer cents; floats here are only probabilities and rates.
#![allow(clippy::float_arithmetic)] // probabilities and rates, not money

use std::collections::HashSet;

use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::TxView;
use super::model::SplitMix64;

/// The countries whose bank formats are imitated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    De,
    Nl,
    Es,
    No,
    Fr,
}

impl Locale {
    pub const ALL: [Locale; 6] = [Locale::En, Locale::De, Locale::Nl, Locale::Es, Locale::No, Locale::Fr];

    fn code(self) -> &'static str {
        match self {
            Locale::En => "EN",
            Locale::De => "DE",
            Locale::Nl => "NL",
            Locale::Es => "ES",
            Locale::No => "NO",
            Locale::Fr => "FR",
        }
    }

    fn currency(self) -> &'static str {
        match self {
            Locale::En => "GBP",
            Locale::No => "NOK",
            _ => "EUR",
        }
    }

    /// Price level relative to EUR, in percent (NOK amounts are ~10×).
    fn price_percent(self) -> i64 {
        match self {
            Locale::En => 88,
            Locale::No => 1150,
            _ => 100,
        }
    }

    fn cities(self) -> &'static [&'static str] {
        match self {
            Locale::En => &["LONDON", "MANCHESTER", "READING", "BRIGHTON", "LEEDS", "OXFORD", "KENSINGTON"],
            Locale::De => &["MUENCHEN", "BERLIN", "HAMBURG", "KOELN", "BAD TOELZ", "GARCHING", "FRANKFURT"],
            Locale::Nl => &["AMSTERDAM", "UTRECHT", "HILVERSUM", "AMERSFOORT", "ROTTERDAM", "ZWOLLE"],
            Locale::Es => &["MADRID", "BARCELONA", "ALCORCON", "GETAFE", "VALENCIA", "MATARO"],
            Locale::No => &["OSLO", "BERGEN", "LILLESTROM", "ASKER", "SANDVIKA", "TRONDHEIM"],
            Locale::Fr => &["PARIS", "LYON", "VINCENNES", "MONTREUIL", "BOULOGNE", "NANTES"],
        }
    }
}

/// How a transaction reached the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Card,
    DirectDebit,
    Incoming,
    Outgoing,
    Atm,
    BankFee,
}

/// How often and how a category occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// Random purchases: `rate` per month per household.
    Spend { rate_x10: u32 },
    /// Once a month on about `day`, stable amount per merchant.
    Monthly { day: i8 },
    /// Every third month.
    Quarterly { day: i8 },
}

struct CatSpec {
    name: &'static str,
    pattern: Pattern,
    /// Median in EUR cents.
    median_cents: i64,
    /// 0 = fixed amount, 1 = moderate, 2 = wide spread.
    spread: u8,
    inflow: bool,
    channel: Channel,
    /// "DE:REWE", "*:NETFLIX.COM" (any country).
    brands: &'static [&'static str],
    /// Category words per country for invented names: "DE:APOTHEKE".
    cues: &'static [&'static str],
}

const fn spend(rate_x10: u32) -> Pattern {
    Pattern::Spend { rate_x10 }
}

#[rustfmt::skip]
const CATEGORIES: &[CatSpec] = &[
    CatSpec { name: "Expenses:Groceries", pattern: spend(140), median_cents: 3500, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:REWE", "DE:EDEKA", "DE:LIDL", "DE:ALDI SUED", "DE:NETTO MARKEN-DISCOUNT", "DE:KAUFLAND", "DE:PENNY",
            "NL:ALBERT HEIJN", "NL:JUMBO", "NL:PLUS", "NL:DIRK VD BROEK", "NL:LIDL", "ES:MERCADONA", "ES:CARREFOUR", "ES:DIA", "ES:EROSKI",
            "ES:CONSUM", "NO:REMA 1000", "NO:KIWI", "NO:MENY", "NO:COOP EXTRA", "NO:COOP PRIX", "NO:BUNNPRIS", "FR:CARREFOUR CITY",
            "FR:MONOPRIX", "FR:E.LECLERC", "FR:INTERMARCHE", "FR:FRANPRIX", "FR:AUCHAN", "EN:TESCO STORES", "EN:SAINSBURYS",
            "EN:ASDA", "EN:WAITROSE", "EN:MORRISONS", "EN:CO-OP GROUP"],
        cues: &["DE:MARKT", "DE:SUPERMARKT", "DE:FRISCHEMARKT", "NL:SUPERMARKT", "NL:VERSMARKT", "ES:SUPERMERCADO", "ES:ALIMENTACION",
            "NO:MATSENTER", "NO:DAGLIGVARE", "FR:SUPERMARCHE", "FR:EPICERIE", "FR:PRIMEUR", "EN:SUPERMARKET", "EN:GROCERS", "EN:FOOD STORE"] },
    CatSpec { name: "Expenses:Food:Restaurants", pattern: spend(45), median_cents: 3200, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:VAPIANO", "DE:BLOCK HOUSE", "NL:LOETJE", "ES:VIPS", "ES:FOSTERS HOLLYWOOD", "ES:100 MONTADITOS", "NO:EGON", "NO:PEPPES PIZZA",
            "FR:HIPPOPOTAMUS", "FR:BUFFALO GRILL", "EN:NANDOS", "EN:WAGAMAMA", "EN:PIZZA EXPRESS", "EN:L'OLILO"],
        cues: &["DE:RESTAURANT", "DE:GASTHAUS", "DE:TRATTORIA", "DE:WIRTSHAUS", "NL:RESTAURANT", "NL:EETCAFE", "NL:BISTRO", "ES:RESTAURANTE", "ES:TABERNA",
            "ES:ASADOR", "ES:BAR", "NO:RESTAURANT", "NO:SPISERI", "FR:RESTAURANT", "FR:BRASSERIE", "FR:BISTROT", "EN:RESTAURANT", "EN:KITCHEN", "EN:GRILL"] },
    CatSpec { name: "Expenses:Food:Cafes", pattern: spend(55), median_cents: 450, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["*:STARBUCKS", "EN:COSTA COFFEE", "EN:PRET A MANGER", "NO:ESPRESSO HOUSE", "NO:KAFFEBRENNERIET", "DE:BALZAC COFFEE",
            "DE:TCHIBO", "NL:BAGELS & BEANS", "NL:COFFEECOMPANY", "ES:GRANIER", "FR:COLUMBUS CAFE", "FR:COFFEE PARISIEN"],
        cues: &["DE:CAFE", "DE:KAFFEEHAUS", "DE:KAFFEEBAR", "NL:KOFFIEBAR", "NL:CAFE", "ES:CAFETERIA", "ES:CAFE", "NO:KAFFEBAR", "NO:KAFE",
            "FR:CAFE", "FR:SALON DE THE", "EN:COFFEE", "EN:CAFE", "EN:ESPRESSO BAR"] },
    CatSpec { name: "Expenses:Food:FastFood", pattern: spend(30), median_cents: 1100, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["*:MCDONALDS", "*:BURGER KING", "*:KFC", "*:SUBWAY", "EN:FIVE GUYS", "*:DOMINOS PIZZA", "DE:NORDSEE", "NL:FEBO", "ES:TELEPIZZA",
            "NO:MAX BURGERS", "FR:QUICK", "EN:GREGGS", "*:DELIVEROO", "*:UBER EATS", "NL:THUISBEZORGD", "DE:LIEFERANDO", "ES:GLOVO", "NO:FOODORA"],
        cues: &["DE:DOENER", "DE:IMBISS", "DE:PIZZERIA", "NL:SNACKBAR", "NL:SHOARMA", "ES:KEBAB", "ES:PIZZERIA", "NO:KEBAB", "NO:GATEKJOKKEN",
            "FR:KEBAB", "FR:PIZZA", "EN:CHIPPY", "EN:BURGER", "EN:KEBAB", "*:PIZZA"] },
    CatSpec { name: "Expenses:Food:Bakery", pattern: spend(40), median_cents: 520, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["DE:KAMPS", "DE:BACKWERK", "DE:WIENERWALD", "NL:BAKKER BART", "ES:GRANIER", "ES:HORNO SAN ONOFRE", "NO:BAKER HANSEN",
            "NO:W.B. SAMSON", "FR:PAUL", "FR:BRIOCHE DOREE", "EN:GAILS", "EN:BAKER STREET BAKES"],
        cues: &["DE:BAECKEREI", "DE:BACKHAUS", "DE:KONDITOREI", "NL:BAKKERIJ", "NL:WARME BAKKER", "ES:PANADERIA", "ES:PASTELERIA", "ES:HORNO",
            "NO:BAKERI", "NO:KONDITORI", "FR:BOULANGERIE", "FR:PATISSERIE", "EN:BAKERY", "EN:BAKEHOUSE"] },
    CatSpec { name: "Expenses:Transport:Fuel", pattern: spend(28), median_cents: 6200, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["DE:ARAL", "*:SHELL", "*:ESSO", "FR:TOTALENERGIES", "*:BP", "DE:JET", "NO:CIRCLE K", "NO:UNO-X", "NO:YX", "ES:REPSOL", "ES:CEPSA",
            "ES:GALP", "NL:TINQ", "NL:TANGO", "DE:AVIA", "EN:TEXACO", "FR:INTERMARCHE CARBURANT"],
        cues: &["DE:TANKSTELLE", "DE:TANKSTATION", "NL:TANKSTATION", "NL:POMPSTATION", "ES:GASOLINERA", "ES:ESTACION DE SERVICIO", "NO:BENSINSTASJON",
            "NO:DRIVSTOFF", "FR:STATION SERVICE", "FR:CARBURANTS", "EN:FILLING STATION", "EN:PETROL", "EN:SERVICE STATION"] },
    CatSpec { name: "Expenses:Transport:Public", pattern: spend(50), median_cents: 320, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:DB VERTRIEB", "DE:MVV", "DE:BVG", "DE:HVV", "NL:NS GROEP", "NL:GVB", "NL:RET", "ES:RENFE", "ES:METRO DE MADRID", "ES:TMB",
            "NO:RUTER", "NO:VY", "NO:SKYSS", "FR:RATP", "FR:SNCF", "FR:TCL", "EN:TFL TRAVEL CH", "EN:TRAINLINE", "EN:NATIONAL RAIL"],
        cues: &["DE:VERKEHRSBETRIEBE", "DE:FAHRKARTE", "DE:NAHVERKEHR", "NL:OV-CHIPKAART", "NL:VERVOERBEDRIJF", "ES:BILLETE", "ES:TRANSPORTES",
            "NO:BILLETT", "NO:KOLLEKTIVTRAFIKK", "FR:TRANSPORTS", "FR:BILLETTERIE", "EN:BUSES", "EN:RAIL TICKET"] },
    CatSpec { name: "Expenses:Transport:Taxi", pattern: spend(15), median_cents: 1800, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["*:UBER", "*:BOLT", "DE:FREENOW", "ES:CABIFY", "NO:OSLO TAXI", "FR:G7", "EN:ADDISON LEE", "NL:TCA TAXI"],
        cues: &["DE:TAXI", "DE:TAXIZENTRALE", "NL:TAXI", "NL:TAXICENTRALE", "ES:TAXI", "ES:RADIO TAXI", "NO:TAXI", "NO:DROSJE", "FR:TAXI", "FR:VTC",
            "EN:TAXI", "EN:CABS", "EN:MINICABS"] },
    CatSpec { name: "Expenses:Transport:Parking", pattern: spend(15), median_cents: 600, spread: 1, inflow: false, channel: Channel::Card,
        brands: &["*:EASYPARK", "NL:PARKMOBILE", "DE:APCOA", "*:Q-PARK", "FR:INDIGO", "ES:SABA", "FR:ONEPARK", "EN:NCP", "EN:RINGGO", "NO:ONEPARK"],
        cues: &["DE:PARKHAUS", "DE:PARKGARAGE", "NL:PARKEREN", "NL:PARKEERGARAGE", "ES:APARCAMIENTO", "ES:PARKING", "NO:PARKERING", "NO:P-HUS",
            "FR:PARKING", "FR:STATIONNEMENT", "EN:CAR PARK", "EN:PARKING"] },
    CatSpec { name: "Expenses:Transport:Car", pattern: spend(3), median_cents: 18000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:ATU", "EN:KWIK FIT", "FR:NORAUTO", "FR:MIDAS", "*:EUROMASTER", "EN:HALFORDS", "NO:MEKONOMEN", "NL:KWIK-FIT", "ES:NORAUTO", "DE:ADAC"],
        cues: &["DE:AUTOWERKSTATT", "DE:KFZ-SERVICE", "NL:AUTOBEDRIJF", "NL:GARAGE", "ES:TALLER", "ES:TALLERES", "NO:BILVERKSTED", "NO:BILSERVICE",
            "FR:GARAGE", "FR:AUTOSERVICE", "EN:GARAGE", "EN:MOTORS", "EN:AUTO REPAIRS"] },
    CatSpec { name: "Expenses:Health:Pharmacy", pattern: spend(12), median_cents: 1500, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:DOCMORRIS", "EN:BOOTS", "NO:VITUSAPOTEK", "NO:APOTEK 1", "NL:BENU", "EN:LLOYDS PHARMACY", "FR:PHARMACIE LAFAYETTE"],
        cues: &["DE:APOTHEKE", "NL:APOTHEEK", "ES:FARMACIA", "NO:APOTEK", "FR:PHARMACIE", "EN:PHARMACY", "EN:CHEMIST"] },
    CatSpec { name: "Expenses:Health:Doctor", pattern: spend(3), median_cents: 8000, spread: 2, inflow: false, channel: Channel::Outgoing,
        brands: &["NO:LEGEVAKTEN", "ES:SANITAS", "ES:QUIRONSALUD", "FR:DOCTOLIB", "DE:LABOR BERLIN", "NL:HUISARTSENPOST"],
        cues: &["DE:ARZTPRAXIS", "DE:PRAXIS DR.", "DE:PRIVATARZTLICHE", "NL:HUISARTS", "NL:HUISARTSENPRAKTIJK", "ES:CLINICA", "ES:CENTRO MEDICO",
            "NO:LEGESENTER", "NO:LEGEKONTOR", "FR:CABINET MEDICAL", "FR:DR", "EN:MEDICAL CENTRE", "EN:CLINIC", "EN:SURGERY"] },
    CatSpec { name: "Expenses:Health:Dentist", pattern: spend(2), median_cents: 12000, spread: 2, inflow: false, channel: Channel::Outgoing,
        brands: &["ES:VITALDENT", "NO:COLOSSEUM TANNLEGE", "EN:MYDENTIST", "NL:DENTAL CLINICS"],
        cues: &["DE:ZAHNARZTPRAXIS", "DE:ZAHNARZT", "NL:TANDARTS", "NL:TANDARTSPRAKTIJK", "ES:CLINICA DENTAL", "ES:DENTAL", "NO:TANNLEGE",
            "NO:TANNKLINIKK", "FR:DENTISTE", "FR:CABINET DENTAIRE", "EN:DENTAL", "EN:DENTAL PRACTICE"] },
    CatSpec { name: "Expenses:PersonalCare", pattern: spend(15), median_cents: 2000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:DM DROGERIE MARKT", "DE:ROSSMANN", "DE:MUELLER", "NL:KRUIDVAT", "NL:ETOS", "ES:DRUNI", "*:SEPHORA", "EN:SUPERDRUG",
            "NO:VITA", "NO:NORMAL", "FR:NOCIBE", "ES:PRIMOR"],
        cues: &["DE:FRISEUR", "DE:HAARSTUDIO", "NL:KAPPER", "NL:KAPSALON", "ES:PELUQUERIA", "ES:ESTETICA", "NO:FRISOR", "NO:HAARSTUDIO",
            "FR:COIFFURE", "FR:INSTITUT DE BEAUTE", "EN:BARBER", "EN:HAIR SALON", "EN:BARBERS"] },
    CatSpec { name: "Expenses:Shopping:Clothing", pattern: spend(15), median_cents: 4500, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["*:ZARA", "*:H&M", "*:PRIMARK", "*:C&A", "*:UNIQLO", "ES:MANGO", "NO:KAPPAHL", "NO:CUBUS", "EN:NEXT DIRECTORY", "DE:PEEK & CLOPPENBURG",
            "NL:WE FASHION", "FR:KIABI", "ES:PULL&BEAR", "NL:HEMA"],
        cues: &["DE:MODEHAUS", "DE:SCHUHE", "DE:BOUTIQUE", "NL:MODE", "NL:SCHOENEN", "ES:MODA", "ES:ZAPATERIA", "NO:KLAER", "NO:SKO",
            "FR:MODE", "FR:CHAUSSURES", "EN:FASHION", "EN:SHOES", "EN:CLOTHING"] },
    CatSpec { name: "Expenses:Shopping:Electronics", pattern: spend(4), median_cents: 12000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:MEDIAMARKT", "DE:SATURN", "NL:COOLBLUE", "FR:FNAC", "FR:DARTY", "NO:ELKJOP", "NO:POWER", "EN:CURRYS", "*:APPLE STORE",
            "ES:MEDIA MARKT", "NL:BCC", "DE:CONRAD"],
        cues: &["DE:ELEKTRO", "DE:ELEKTRONIK", "NL:ELEKTRONICA", "NL:ELECTRO", "ES:ELECTRONICA", "ES:INFORMATICA", "NO:ELEKTRONIKK", "NO:DATA",
            "FR:INFORMATIQUE", "FR:ELECTROMENAGER", "EN:ELECTRONICS", "EN:COMPUTERS"] },
    CatSpec { name: "Expenses:Shopping:Online", pattern: spend(30), median_cents: 3000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:AMZN MKTP DE", "DE:AMAZON.DE", "ES:AMZN MKTP ES", "FR:AMAZON.FR", "EN:AMAZON.CO.UK", "*:ZALANDO", "NL:BOL.COM",
            "*:ALIEXPRESS", "*:ETSY", "DE:EBAY", "*:TEMU", "NO:KOMPLETT.NO", "FR:CDISCOUNT", "DE:OTTO", "*:SHEIN"],
        cues: &["DE:ONLINESHOP", "DE:VERSAND", "NL:WEBSHOP", "NL:WEBWINKEL", "ES:TIENDA ONLINE", "ES:ECOMMERCE", "NO:NETTBUTIKK", "NO:NETTHANDEL",
            "FR:BOUTIQUE EN LIGNE", "FR:E-COMMERCE", "EN:ONLINE STORE", "EN:WEBSTORE"] },
    CatSpec { name: "Expenses:Home:Furnishing", pattern: spend(6), median_cents: 6000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["*:IKEA", "DE:OBI", "DE:BAUHAUS", "DE:HORNBACH", "NL:GAMMA", "NL:PRAXIS", "NL:KARWEI", "FR:LEROY MERLIN", "FR:CASTORAMA",
            "ES:LEROY MERLIN", "NO:JULA", "NO:CLAS OHLSON", "NO:JYSK", "EN:B&Q", "EN:DUNELM", "DE:XXXLUTZ"],
        cues: &["DE:BAUMARKT", "DE:MOEBELHAUS", "DE:EISENWAREN", "NL:BOUWMARKT", "NL:MEUBELEN", "NL:WOONWINKEL", "ES:FERRETERIA", "ES:MUEBLES",
            "ES:BRICOLAJE", "NO:JERNVARE", "NO:INTERIOR", "NO:BYGGVARE", "FR:BRICOLAGE", "FR:QUINCAILLERIE", "FR:MEUBLES", "EN:HARDWARE", "EN:FURNITURE",
            "EN:HOMEWARE"] },
    CatSpec { name: "Expenses:Housing:Rent", pattern: Pattern::Monthly { day: 1 }, median_cents: 95000, spread: 0, inflow: false, channel: Channel::Outgoing,
        brands: &["DE:VONOVIA", "DE:DEUTSCHE WOHNEN", "NL:YMERE", "NL:VESTIA", "ES:TESTA HOMES", "NO:OBOS", "FR:PARIS HABITAT", "EN:FOXTONS LETTINGS"],
        cues: &["DE:HAUSVERWALTUNG", "DE:IMMOBILIEN", "NL:WONINGSTICHTING", "NL:VASTGOED", "ES:INMOBILIARIA", "ES:ALQUILER", "NO:EIENDOM",
            "NO:HUSLEIE", "FR:SCI", "FR:LOYER", "EN:LETTINGS", "EN:PROPERTY MANAGEMENT"] },
    CatSpec { name: "Expenses:Utilities:Energy", pattern: Pattern::Monthly { day: 15 }, median_cents: 7500, spread: 1, inflow: false, channel: Channel::DirectDebit,
        brands: &["DE:VATTENFALL", "DE:E.ON ENERGIE", "NL:ENECO", "NL:ESSENT", "NL:VATTENFALL", "ES:IBERDROLA", "ES:ENDESA", "ES:NATURGY",
            "NO:FJORDKRAFT", "NO:TIBBER", "FR:EDF", "FR:ENGIE", "EN:OCTOPUS ENERGY", "EN:BRITISH GAS"],
        cues: &["DE:STADTWERKE", "DE:ENERGIE", "NL:ENERGIE", "ES:ELECTRICA", "ES:ENERGIA", "NO:KRAFT", "NO:ENERGI", "FR:ENERGIE", "EN:ENERGY", "EN:POWER"] },
    CatSpec { name: "Expenses:Utilities:Water", pattern: Pattern::Quarterly { day: 20 }, median_cents: 4500, spread: 1, inflow: false, channel: Channel::DirectDebit,
        brands: &["DE:BERLINER WASSERBETRIEBE", "NL:VITENS", "NL:WATERNET", "ES:CANAL DE ISABEL II", "ES:AIGUES DE BARCELONA", "FR:EAU DE PARIS",
            "FR:VEOLIA EAU", "EN:THAMES WATER", "NO:VANN OG AVLOP KOMMUNE"],
        cues: &["DE:WASSERWERKE", "DE:WASSERVERBAND", "NL:WATERBEDRIJF", "ES:AGUAS", "NO:VANNVERK", "FR:EAUX", "EN:WATER"] },
    CatSpec { name: "Expenses:Utilities:Internet", pattern: Pattern::Monthly { day: 5 }, median_cents: 4000, spread: 0, inflow: false, channel: Channel::DirectDebit,
        brands: &["DE:TELEKOM DEUTSCHLAND", "DE:VODAFONE KABEL DEUTSCHLAND", "NL:ZIGGO", "NL:KPN", "ES:MOVISTAR", "ES:DIGI", "NO:TELENOR", "NO:ALTIBOX",
            "FR:ORANGE", "FR:FREE TELECOM", "FR:SFR", "EN:BT GROUP", "EN:VIRGIN MEDIA"],
        cues: &["DE:GLASFASER", "DE:BREITBAND", "NL:GLASVEZEL", "ES:FIBRA", "NO:BREDBAND", "FR:FIBRE", "EN:BROADBAND", "EN:FIBRE"] },
    CatSpec { name: "Expenses:Utilities:Mobile", pattern: Pattern::Monthly { day: 10 }, median_cents: 2000, spread: 0, inflow: false, channel: Channel::DirectDebit,
        brands: &["DE:O2", "DE:VODAFONE", "DE:CONGSTAR", "NL:SIMYO", "NL:ODIDO", "NL:LEBARA", "ES:PEPEPHONE", "ES:YOIGO", "NO:ICE", "NO:TALKMORE",
            "FR:BOUYGUES TELECOM", "FR:SOSH", "EN:GIFFGAFF", "EN:EE LIMITED", "EN:THREE"],
        cues: &["DE:MOBILFUNK", "NL:MOBIEL", "ES:MOVIL", "NO:MOBIL", "FR:MOBILE", "EN:MOBILE"] },
    CatSpec { name: "Expenses:Insurance", pattern: Pattern::Monthly { day: 3 }, median_cents: 6000, spread: 0, inflow: false, channel: Channel::DirectDebit,
        brands: &["*:ALLIANZ", "DE:HUK-COBURG", "*:AXA", "DE:ERGO", "NL:CENTRAAL BEHEER", "NL:INTERPOLIS", "ES:MAPFRE", "ES:MUTUA MADRILENA",
            "NO:GJENSIDIGE", "NO:IF SKADEFORSIKRING", "FR:MAIF", "FR:MACIF", "EN:AVIVA", "EN:ROYAL LONDON INSURANCE", "EN:DIRECT LINE"],
        cues: &["DE:VERSICHERUNG", "NL:VERZEKERING", "NL:VERZEKERINGEN", "ES:SEGUROS", "NO:FORSIKRING", "FR:ASSURANCE", "FR:MUTUELLE", "EN:INSURANCE"] },
    CatSpec { name: "Expenses:Subscriptions:Streaming", pattern: Pattern::Monthly { day: 12 }, median_cents: 1200, spread: 0, inflow: false, channel: Channel::Card,
        brands: &["*:NETFLIX.COM", "*:SPOTIFY", "*:DISNEY PLUS", "*:HBO MAX", "*:YOUTUBE PREMIUM", "*:DAZN", "EN:NOWTV.COM", "NO:VIAPLAY",
            "FR:DEEZER", "FR:CANAL+", "ES:FILMIN", "NL:VIDEOLAND", "DE:RTL+"],
        cues: &["*:STREAMING", "*:TV", "*:MUSIC"] },
    CatSpec { name: "Expenses:Subscriptions:Software", pattern: Pattern::Monthly { day: 20 }, median_cents: 1000, spread: 0, inflow: false, channel: Channel::Card,
        brands: &["*:GOOGLE ONE", "*:MICROSOFT 365", "*:DROPBOX", "*:ADOBE", "*:APPLE.COM/BILL", "*:GITHUB", "*:OPENAI CHATGPT", "*:1PASSWORD",
            "*:NOTION LABS", "*:PROTON AG"],
        cues: &["*:SOFTWARE", "*:CLOUD", "*:APP", "*:LABS"] },
    CatSpec { name: "Expenses:Fitness", pattern: Pattern::Monthly { day: 2 }, median_cents: 3000, spread: 0, inflow: false, channel: Channel::DirectDebit,
        brands: &["DE:MCFIT", "DE:FITX", "*:BASIC-FIT", "NO:SATS", "NO:ELIXIA", "EN:PUREGYM", "FR:FITNESS PARK", "DE:URBAN SPORTS CLUB",
            "ES:DREAMFIT", "ES:ALTAFIT", "EN:THE GYM GROUP"],
        cues: &["DE:FITNESS", "DE:SPORTSTUDIO", "NL:SPORTSCHOOL", "NL:FITNESS", "ES:GIMNASIO", "ES:FITNESS", "NO:TRENINGSSENTER", "FR:SALLE DE SPORT",
            "FR:CROSSFIT", "EN:GYM", "EN:FITNESS", "EN:LEISURE CENTRE"] },
    CatSpec { name: "Expenses:Entertainment", pattern: spend(10), median_cents: 2500, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:CINEMAXX", "NL:PATHE", "ES:YELMO CINES", "EN:ODEON", "EN:VUE", "NO:NORDISK FILM KINO", "FR:UGC", "*:EVENTIM", "*:TICKETMASTER",
            "EN:V & A MUSEUM SALES", "NL:RIJKSMUSEUM", "*:STEAM GAMES", "*:PLAYSTATION NETWORK"],
        cues: &["DE:KINO", "DE:THEATER", "DE:MUSEUM", "NL:BIOSCOOP", "NL:THEATER", "NL:MUSEUM", "ES:CINES", "ES:TEATRO", "ES:MUSEO", "NO:KINO",
            "NO:TEATER", "NO:MUSEUM", "FR:CINEMA", "FR:THEATRE", "FR:MUSEE", "EN:CINEMA", "EN:THEATRE", "EN:MUSEUM", "*:BOWLING", "*:ESCAPE ROOM"] },
    CatSpec { name: "Expenses:Travel:Flights", pattern: spend(3), median_cents: 18000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:LUFTHANSA", "NL:KLM", "ES:IBERIA", "ES:VUELING", "NO:NORWEGIAN AIR", "NO:SAS", "FR:AIR FRANCE", "*:EASYJET", "*:RYANAIR",
            "EN:BRITISH AIRWAYS", "NL:TRANSAVIA", "DE:EUROWINGS", "NO:WIDEROE"],
        cues: &["*:AIRLINES", "*:AIRWAYS", "ES:AEROLINEAS", "*:AIR", "*:FLY", "FR:COMPAGNIE AERIENNE"] },
    CatSpec { name: "Expenses:Travel:Lodging", pattern: spend(3), median_cents: 22000, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["*:BOOKING.COM", "*:AIRBNB", "*:HOTELS.COM", "*:EXPEDIA", "ES:NH HOTELES", "*:MARRIOTT", "NO:SCANDIC", "NO:NORDIC CHOICE",
            "FR:IBIS", "EN:PREMIER INN", "DE:MOTEL ONE"],
        cues: &["DE:HOTEL", "DE:GASTHOF", "DE:PENSION", "NL:HOTEL", "NL:HOSTEL", "ES:HOTEL", "ES:HOSTAL", "ES:PARADOR", "NO:HOTELL", "NO:HYTTEUTLEIE",
            "FR:HOTEL", "FR:AUBERGE", "FR:CHAMBRES D'HOTES", "EN:HOTEL", "EN:INN", "EN:B&B", "EN:LODGE"] },
    CatSpec { name: "Expenses:Education", pattern: spend(3), median_cents: 8000, spread: 2, inflow: false, channel: Channel::Outgoing,
        brands: &["*:COURSERA", "*:UDEMY", "*:DUOLINGO", "*:BABBEL", "DE:VHS MUENCHEN", "NL:NCOI", "ES:UNED", "NO:FOLKEUNIVERSITETET", "FR:CNED",
            "EN:OPEN UNIVERSITY"],
        cues: &["DE:VOLKSHOCHSCHULE", "DE:SPRACHSCHULE", "DE:MUSIKSCHULE", "NL:TAALINSTITUUT", "NL:OPLEIDINGEN", "ES:ACADEMIA", "ES:ESCUELA",
            "NO:SKOLE", "NO:KURS", "FR:ECOLE", "FR:FORMATION", "EN:TUITION", "EN:ACADEMY", "EN:SCHOOL"] },
    CatSpec { name: "Expenses:Childcare", pattern: Pattern::Monthly { day: 1 }, median_cents: 25000, spread: 0, inflow: false, channel: Channel::DirectDebit,
        brands: &["NL:PARTOU", "NL:KINDERGARDEN", "EN:BRIGHT HORIZONS", "DE:FRÖBEL", "FR:PEOPLE & BABY", "NO:ESPIRA"],
        cues: &["DE:KITA", "DE:KINDERGARTEN", "NL:KINDEROPVANG", "NL:KINDERDAGVERBLIJF", "ES:GUARDERIA", "ES:ESCUELA INFANTIL", "NO:BARNEHAGE",
            "FR:CRECHE", "FR:GARDERIE", "EN:NURSERY", "EN:CHILDCARE"] },
    CatSpec { name: "Expenses:Pets", pattern: spend(5), median_cents: 3500, spread: 2, inflow: false, channel: Channel::Card,
        brands: &["DE:FRESSNAPF", "*:ZOOPLUS", "EN:PETS AT HOME", "FR:MAXI ZOO", "ES:TIENDANIMAL", "ES:KIWOKO", "NO:MUSTI", "NL:PETS PLACE"],
        cues: &["DE:TIERARZT", "DE:TIERKLINIK", "DE:ZOOHANDLUNG", "NL:DIERENARTS", "NL:DIERENWINKEL", "ES:VETERINARIO", "ES:CLINICA VETERINARIA",
            "NO:DYRLEGE", "NO:DYREKLINIKK", "FR:VETERINAIRE", "FR:ANIMALERIE", "EN:VETS", "EN:VETERINARY", "EN:PET SUPPLIES"] },
    CatSpec { name: "Expenses:Gifts:Donations", pattern: spend(3), median_cents: 3000, spread: 1, inflow: false, channel: Channel::Outgoing,
        brands: &["*:UNICEF", "DE:DRK", "NL:RODE KRUIS", "ES:CRUZ ROJA", "*:MSF", "*:WWF", "*:AMNESTY", "NL:LEGER DES HEILS", "DE:SOS KINDERDORF",
            "EN:OXFAM", "NO:KIRKENS BYMISJON", "FR:RESTOS DU COEUR"],
        cues: &["DE:STIFTUNG", "DE:SPENDE", "NL:STICHTING", "NL:GIFT", "ES:FUNDACION", "ES:DONATIVO", "NO:STIFTELSEN", "NO:GAVE", "FR:FONDATION",
            "FR:DON", "EN:CHARITY", "EN:FOUNDATION", "EN:DONATION"] },
    CatSpec { name: "Expenses:Bank:Fees", pattern: Pattern::Monthly { day: 28 }, median_cents: 590, spread: 0, inflow: false, channel: Channel::BankFee,
        brands: &["DE:ENTGELT KONTOFUEHRUNG", "DE:KONTOFUEHRUNGSGEBUEHR", "NL:KOSTEN GEBRUIK BETAALREKENING", "NL:KOSTEN BETAALPAKKET",
            "ES:COMISION MANTENIMIENTO", "ES:COMISION TARJETA", "NO:GEBYR KONTOHOLD", "NO:KORTGEBYR", "FR:FRAIS TENUE DE COMPTE", "FR:COTISATION CARTE",
            "EN:ACCOUNT FEE", "EN:MONTHLY ACCOUNT CHARGE"],
        cues: &[] },
    CatSpec { name: "Expenses:Cash", pattern: spend(15), median_cents: 10000, spread: 1, inflow: false, channel: Channel::Atm,
        brands: &["DE:GELDAUTOMAT", "DE:BARGELDAUSZAHLUNG", "NL:GELDOPNAME", "NL:GELDAUTOMAAT", "ES:REINTEGRO CAJERO", "ES:REINTEGRO EFECTIVO TARJETA",
            "NO:MINIBANK", "NO:KONTANTUTTAK", "FR:RETRAIT DAB", "FR:RETRAIT", "EN:CASH WITHDRAWAL", "EN:ATM WITHDRAWAL"],
        cues: &[] },
    CatSpec { name: "Expenses:Taxes", pattern: spend(1), median_cents: 30000, spread: 2, inflow: false, channel: Channel::Outgoing,
        brands: &["DE:FINANZAMT", "DE:BUNDESKASSE", "NL:BELASTINGDIENST", "ES:AGENCIA TRIBUTARIA", "ES:AEAT", "NO:SKATTEETATEN", "FR:DGFIP",
            "FR:DIRECTION GENERALE DES FINANCES PUBLIQUES", "EN:HMRC"],
        cues: &["DE:STEUER", "NL:BELASTING", "ES:IMPUESTO", "NO:SKATT", "FR:IMPOTS", "EN:TAX"] },
    CatSpec { name: "Income:Salary", pattern: Pattern::Monthly { day: 25 }, median_cents: 320000, spread: 0, inflow: true, channel: Channel::Incoming,
        brands: &[],
        cues: &["DE:GEHALT", "DE:LOHN/GEHALT", "NL:SALARIS", "ES:NOMINA", "NO:LONN", "FR:SALAIRE", "EN:SALARY", "EN:PAYROLL"] },
    CatSpec { name: "Income:Interest", pattern: Pattern::Quarterly { day: 30 }, median_cents: 1800, spread: 2, inflow: true, channel: Channel::BankFee,
        brands: &["DE:ZINSEN", "DE:ABSCHLUSS HABENZINSEN", "NL:RENTE", "NL:RENTEBIJSCHRIJVING", "ES:INTERESES", "ES:LIQUIDACION INTERESES",
            "NO:RENTER", "NO:KREDITRENTER", "FR:INTERETS", "FR:INTERETS CREDITEURS", "EN:INTEREST", "EN:GROSS INTEREST"],
        cues: &[] },
    CatSpec { name: "Income:Refunds", pattern: spend(4), median_cents: 3000, spread: 2, inflow: true, channel: Channel::Incoming,
        brands: &["*:ZALANDO", "*:AMAZON", "DE:OTTO", "NL:BOL.COM", "*:IKEA", "*:H&M", "*:ZARA", "NL:COOLBLUE", "EN:ASOS", "ES:EL CORTE INGLES"],
        cues: &["DE:GUTSCHRIFT", "DE:ERSTATTUNG", "NL:RETOUR", "NL:TERUGBETALING", "ES:DEVOLUCION", "ES:ABONO", "NO:REFUSJON", "NO:RETUR",
            "FR:REMBOURSEMENT", "FR:AVOIR", "EN:REFUND", "EN:RETURN"] },
    CatSpec { name: "Income:Benefits", pattern: Pattern::Monthly { day: 8 }, median_cents: 25000, spread: 0, inflow: true, channel: Channel::Incoming,
        brands: &["DE:FAMILIENKASSE", "NL:SVB KINDERBIJSLAG", "NL:BELASTINGDIENST TOESLAGEN", "ES:SEGURIDAD SOCIAL", "NO:NAV", "FR:CAF",
            "EN:HMRC CHILD BENEFIT"],
        cues: &[] },
    CatSpec { name: "Transfers:Savings", pattern: Pattern::Monthly { day: 27 }, median_cents: 30000, spread: 0, inflow: false, channel: Channel::Outgoing,
        brands: &["DE:UMBUCHUNG TAGESGELD", "DE:SPARPLAN", "NL:OVERBOEKING SPAARREKENING", "ES:TRASPASO CUENTA AHORRO", "NO:OVERFORING SPAREKONTO",
            "FR:VIREMENT LIVRET A", "EN:TRANSFER TO SAVINGS", "EN:ISA TRANSFER"],
        cues: &[] },
];

/// Permille multipliers approximating a log-normal spread (e^-1.2 … e^1.2),
/// so amounts stay integer cents.
const LOG_FACTORS: [i64; 17] =
    [301, 370, 449, 549, 670, 741, 819, 905, 1000, 1105, 1221, 1350, 1492, 1822, 2226, 2718, 3320];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ver", "tan", "bri", "so", "del", "rak", "un", "zo", "pe", "mar", "tis", "gon", "ul", "fen",
    "dra", "vik", "sel", "bo", "ra", "ne", "ti", "ast", "ko", "lin", "dur", "ha", "mel", "qui", "sto", "ber", "an",
    "eli", "nor",
];

/// Generator settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    pub start: Date,
    pub months: u32,
    /// Target volume over all six households; spending categories scale to
    /// it, bills do not.
    pub tx_per_month: u32,
    /// Expected new invented merchants per spending category, household and
    /// month (before volume scaling).
    pub new_merchant_rate: f64,
    /// Share of invented merchant names that carry a category word.
    pub cue_share: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            start: jiff::civil::date(2022, 1, 1),
            months: 36,
            tx_per_month: 830,
            new_merchant_rate: 0.35,
            cue_share: 0.6,
        }
    }
}

/// One generated, categorised transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthTx {
    pub date: Date,
    pub description: String,
    pub counterparty: Option<String>,
    pub amount: Decimal,
    pub currency: &'static str,
    pub account: String,
    pub category: String,
    /// The true merchant identity (for "unseen merchant" statistics).
    pub merchant: String,
}

impl SynthTx {
    /// The view the categoriser sees (the category field left empty).
    pub fn view(&self) -> TxView<'_> {
        TxView {
            description: &self.description,
            counterparty: self.counterparty.as_deref(),
            amount: self.amount,
            currency: self.currency,
            account: &self.account,
            date: self.date,
            category: None,
        }
    }
}

/// A history with default settings for `months` months from 2022-01.
pub fn history(seed: u64, months: u32) -> Vec<SynthTx> {
    generate(&SynthConfig { seed, months, ..SynthConfig::default() })
}

#[derive(Debug, Clone)]
struct Merchant {
    name: String,
    weight: u32,
    /// Store number and city stay fixed per shop.
    store: u32,
    city: &'static str,
    /// Fixed amount for bills (cents, local currency).
    fixed_cents: i64,
}

struct Gen {
    rng: SplitMix64,
    used_names: HashSet<String>,
}

impl Gen {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.unit() < p
    }

    /// A new pronounceable brand name never produced before in this history.
    fn invent_name(&mut self) -> String {
        loop {
            let n = 2 + self.rng.below(2);
            let mut s = String::new();
            for _ in 0..n {
                s.push_str(self.rng.pick(SYLLABLES));
            }
            if s.len() >= 4 && self.used_names.insert(s.clone()) {
                return s.to_uppercase();
            }
        }
    }

    /// A Poisson-ish count with mean `mean` (sum of Bernoulli trials).
    fn count(&mut self, mean: f64) -> u32 {
        let whole = mean.floor() as u32;
        let mut n = 0;
        for _ in 0..whole * 2 {
            if self.chance(0.5) {
                n += 1;
            }
        }
        if self.chance(mean - mean.floor()) {
            n += 1;
        }
        n
    }
}

/// The well-known brands of `category` (e.g. "Expenses:Groceries") in a
/// country, as its bank statements print them: the shops both this history
/// and the demo's personas buy from. Empty for a category without brands.
pub fn brands(category: &str, locale: Locale) -> Vec<&'static str> {
    CATEGORIES.iter().find(|c| c.name == category).map_or_else(Vec::new, |c| for_locale(c.brands, locale))
}

fn for_locale<'a>(list: &'a [&'a str], loc: Locale) -> Vec<&'a str> {
    list.iter()
        .filter_map(|s| {
            let (code, rest) = s.split_once(':')?;
            (code == "*" || code == loc.code()).then_some(rest)
        })
        .collect()
}

/// Generates a history (sorted by date).
pub fn generate(cfg: &SynthConfig) -> Vec<SynthTx> {
    let mut g = Gen { rng: SplitMix64(cfg.seed ^ 0x5eed_cafe_f00d), used_names: HashSet::new() };
    let base_spend: u32 = CATEGORIES
        .iter()
        .map(|c| match c.pattern {
            Pattern::Spend { rate_x10 } => rate_x10,
            _ => 0,
        })
        .sum();
    // Bills: ~16 a month per household; the rest of the volume is spending.
    let spend_target = (f64::from(cfg.tx_per_month) / 6.0 - 16.0).max(10.0);
    let scale = spend_target / (f64::from(base_spend) / 10.0);
    let mut out = Vec::new();
    for loc in Locale::ALL {
        household(&mut g, cfg, loc, scale, &mut out);
    }
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.account.cmp(&b.account)));
    out
}

fn household(g: &mut Gen, cfg: &SynthConfig, loc: Locale, scale: f64, out: &mut Vec<SynthTx>) {
    let checking = format!("Assets:Bank:{}", loc.code());
    let card = format!("Liabilities:Card:{}", loc.code());
    for cat in CATEGORIES {
        let brands = for_locale(cat.brands, loc);
        let cues = for_locale(cat.cues, loc);
        let mut pool: Vec<Merchant> = Vec::new();
        let new_merchant = |g: &mut Gen, cat: &CatSpec| -> Merchant {
            let name = invented(g, &cues, cat, loc, cfg.cue_share);
            let fixed = amount_cents(g, cat, loc);
            Merchant {
                name,
                weight: 1 + g.rng.below(4) as u32,
                store: 1 + g.rng.below(9000) as u32,
                city: g.rng.pick(loc.cities()),
                fixed_cents: fixed,
            }
        };
        match cat.pattern {
            Pattern::Spend { rate_x10 } => {
                for b in &brands {
                    let fixed = amount_cents(g, cat, loc);
                    pool.push(Merchant {
                        name: (*b).to_owned(),
                        weight: 2 + g.rng.below(9) as u32,
                        store: 1 + g.rng.below(9000) as u32,
                        city: g.rng.pick(loc.cities()),
                        fixed_cents: fixed,
                    });
                }
                if !cues.is_empty() || brands.is_empty() {
                    for _ in 0..2 {
                        let m = new_merchant(g, cat);
                        pool.push(m);
                    }
                }
                let rate = f64::from(rate_x10) / 10.0 * scale;
                for month in 0..cfg.months {
                    if !cues.is_empty() && g.chance(cfg.new_merchant_rate * rate.sqrt()) {
                        let m = new_merchant(g, cat);
                        pool.push(m);
                    }
                    let n = g.count(rate);
                    for _ in 0..n {
                        let m = weighted(g, &pool).clone();
                        let day = 1 + g.rng.below(28) as i8;
                        let date = month_start(cfg.start, month).with().day(day).build().unwrap_or(cfg.start);
                        let cents = amount_cents(g, cat, loc);
                        let account = if cat.channel == Channel::Card && g.chance(0.4) { &card } else { &checking };
                        out.push(render(g, cat, loc, &m, date, cents, account));
                    }
                }
            }
            Pattern::Monthly { day } | Pattern::Quarterly { day } => {
                // One provider per household, occasionally switched.
                let mut current = if brands.is_empty() || (!cues.is_empty() && g.chance(0.4)) {
                    new_merchant(g, cat)
                } else {
                    let name = g.rng.pick(&brands).to_string();
                    let fixed = amount_cents(g, cat, loc);
                    Merchant { name, weight: 1, store: 1, city: g.rng.pick(loc.cities()), fixed_cents: fixed }
                };
                let every = if matches!(cat.pattern, Pattern::Quarterly { .. }) { 3 } else { 1 };
                for month in 0..cfg.months {
                    if month > 0 && g.chance(0.02) {
                        current = new_merchant(g, cat);
                        if !brands.is_empty() && g.chance(0.5) {
                            current.name = g.rng.pick(&brands).to_string();
                        }
                    }
                    if month % every != 0 {
                        continue;
                    }
                    let jitter = g.rng.below(3) as i8;
                    let start = month_start(cfg.start, month);
                    let last = start.days_in_month();
                    let date = start.with().day((day + jitter).min(last)).build().unwrap_or(start);
                    let cents = if cat.spread == 0 {
                        current.fixed_cents
                    } else {
                        current.fixed_cents * (900 + g.rng.below(200) as i64) / 1000
                    };
                    out.push(render(g, cat, loc, &current, date, cents, &checking));
                }
            }
        }
    }
}

fn month_start(start: Date, month: u32) -> Date {
    start.first_of_month().checked_add((month as i64).months()).unwrap_or(start)
}

fn weighted<'a>(g: &mut Gen, pool: &'a [Merchant]) -> &'a Merchant {
    let total: u32 = pool.iter().map(|m| m.weight).sum();
    let mut r = g.rng.below(total.max(1) as usize) as u32;
    for m in pool {
        if r < m.weight {
            return m;
        }
        r -= m.weight;
    }
    &pool[0]
}

/// An invented merchant name, with a category word when `cue_share` says so.
fn invented(g: &mut Gen, cues: &[&str], cat: &CatSpec, loc: Locale, cue_share: f64) -> String {
    let name = g.invent_name();
    if cat.name == "Income:Salary" {
        let form = match loc {
            Locale::De => "GMBH",
            Locale::Nl => "B.V.",
            Locale::Es => "S.L.",
            Locale::No => "AS",
            Locale::Fr => "SAS",
            Locale::En => "LTD",
        };
        return format!("{name} {form}");
    }
    if cues.is_empty() || !g.chance(cue_share) {
        return name;
    }
    let cue = g.rng.pick(cues);
    let compound = matches!(loc, Locale::De | Locale::No | Locale::Nl) && !cue.contains(' ') && g.chance(0.3);
    if compound {
        format!("{name}{cue}")
    } else if g.chance(0.5) {
        format!("{cue} {name}")
    } else {
        format!("{name} {cue}")
    }
}

fn amount_cents(g: &mut Gen, cat: &CatSpec, loc: Locale) -> i64 {
    let base = cat.median_cents * loc.price_percent() / 100;
    let idx = match cat.spread {
        0 => 6 + g.rng.below(5),
        1 => 4 + g.rng.below(5) + g.rng.below(5),
        _ => g.rng.below(9) + g.rng.below(9),
    };
    let mut cents = (base * LOG_FACTORS[idx] / 1000).max(50);
    if cat.channel == Channel::Atm {
        let unit = 2000 * loc.price_percent() / 100;
        cents = ((cents / unit).max(1)) * unit;
    }
    cents
}

const MONTHS_EN: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

fn render(g: &mut Gen, cat: &CatSpec, loc: Locale, m: &Merchant, date: Date, cents: i64, account: &str) -> SynthTx {
    let dd = format!("{:02}", date.day());
    let mm = format!("{:02}", date.month());
    let yy = format!("{:02}", date.year() % 100);
    let time = format!("{:02}:{:02}", 7 + g.rng.below(15), g.rng.below(60));
    let mask = format!("{}", 1000 + g.rng.below(9000));
    let reference: String = (0..12).map(|_| char::from(b'0' + g.rng.below(10) as u8)).collect();
    let mut name = variant(g, &m.name, loc);
    let store = if g.chance(0.25) {
        match loc {
            Locale::De => format!(" FIL. {:04}", m.store % 1000),
            Locale::Es => format!("-{}", m.store),
            _ => format!(" #{}", m.store),
        }
    } else {
        String::new()
    };
    let city = m.city;
    let local = Decimal::new(cents, 2);
    let mut counterparty = None;
    let description = match cat.channel {
        Channel::Card => {
            if g.chance(0.1) {
                let wrap =
                    g.rng.pick(&["PAYPAL *", "SQ *", "SUMUP *", "ZETTLE_*", "APPLE PAY ", "GOOGLE PAY ", "KLARNA*"]);
                name = format!("{wrap}{name}");
            }
            match (loc, g.rng.below(3)) {
                (Locale::De, 0) => format!("VISA {mask} {name}{store} {dd}.{mm} {city}"),
                (Locale::De, 1) => format!("KARTENZAHLUNG {name}{store} {city}"),
                (Locale::De, _) => format!(
                    "{name}//{city}/DE {}-{mm}-{dd}T{time} Folgenr. {} Verfalld. 2712",
                    date.year(),
                    g.rng.below(99)
                ),
                (Locale::Nl, 0) => format!(
                    "BEA NR:{} {dd}.{mm}.{yy}/{} {name},PAS{}",
                    &reference[..8],
                    time.replace(':', "."),
                    &mask[..3]
                ),
                (Locale::Nl, 1) => format!("Betaalautomaat {time} pasnr. {} {name}{store} {city}", &mask[..3]),
                (Locale::Nl, _) => format!("{name}{store} {city} NLD"),
                (Locale::Es, 0) => format!("COMPRA TARJ. 5540XXXXXXXX{mask} {name}{store} {city}"),
                (Locale::Es, 1) => format!("PAGO MOVIL EN {name} {city} ES"),
                (Locale::Es, _) => format!("Pago en {name}{store} {city}"),
                (Locale::No, 0) => format!("{dd}.{mm} {name}{store} {city}"),
                (Locale::No, 1) => {
                    format!("VISA VARE {mask}XXXXXX{} {dd}.{mm} NOK {local} {name} Kurs: 1.0000", &mask[..2])
                }
                (Locale::No, _) => format!("Varer {dd}.{mm} {name} {city}"),
                (Locale::Fr, 0) => format!("CB {name}{store} {dd}/{mm} {city}"),
                (Locale::Fr, 1) => format!("PAIEMENT PAR CARTE X{mask} {name} {city} {dd}/{mm}"),
                (Locale::Fr, _) => format!("CARTE X{mask} {dd}/{mm} {name}"),
                (Locale::En, 0) => format!("{:<24}{:<14}GBR", name, city),
                (Locale::En, 1) => {
                    format!("CARD PAYMENT TO {name}{store} ON {dd} {}", MONTHS_EN[(date.month() - 1) as usize])
                }
                (Locale::En, _) => format!("CONTACTLESS {name}{store} {city}"),
            }
        }
        Channel::DirectDebit => {
            counterparty = Some(m.name.clone());
            match loc {
                Locale::De => format!("SEPA-LASTSCHRIFT {name} EREF+{reference} MREF+{}", &reference[3..]),
                Locale::Nl => format!(
                    "SEPA Incasso algemeen doorlopend Incassant: NL{} Naam: {name} Kenmerk: {reference}",
                    &reference[..6]
                ),
                Locale::Es => format!("RECIBO {name} Nº RECIBO {reference}"),
                Locale::No => format!("AVTALEGIRO {name} KID {reference}"),
                Locale::Fr => format!("PRLV SEPA {name} ECH/{dd}{mm}{yy} ID EMETTEUR/{}", &reference[..8]),
                Locale::En => format!("DIRECT DEBIT {name} {}", &reference[..9]),
            }
        }
        Channel::Outgoing => {
            counterparty = Some(m.name.clone());
            match loc {
                Locale::De => format!("UEBERWEISUNG {name} {}", purpose(loc, cat, date)),
                Locale::Nl => format!("Overboeking naar {name} {}", purpose(loc, cat, date)),
                Locale::Es => format!("Transferencia emitida a {name}"),
                Locale::No => format!("Betaling {name} {}", purpose(loc, cat, date)),
                Locale::Fr => format!("VIR SEPA {name} {}", purpose(loc, cat, date)),
                Locale::En => format!("FASTER PAYMENT {name} REF {}", &reference[..6]),
            }
        }
        Channel::Incoming => {
            counterparty = Some(m.name.clone());
            let word = cat.cues.iter().find_map(|c| c.strip_prefix(&format!("{}:", loc.code()))).unwrap_or("");
            match loc {
                Locale::De => format!("GUTSCHRIFT {name} {word} {mm}/{}", date.year()),
                Locale::Nl => format!("Bijschrijving {name} {word} {mm}-{}", date.year()),
                Locale::Es => format!("Transferencia recibida {name} {word}"),
                Locale::No => format!("Innbetaling {name} {word}"),
                Locale::Fr => format!("VIR SEPA RECU DE {name} {word} {mm}/{yy}"),
                Locale::En => format!("BANK CREDIT {name} {word}"),
            }
        }
        Channel::Atm => format!("{name} {dd}.{mm} {time} {city}"),
        Channel::BankFee => format!("{name} {mm}/{}", date.year()),
    };
    let description = noise(g, description);
    let amount = if cat.inflow { local } else { -local };
    SynthTx {
        date,
        description,
        counterparty,
        amount,
        currency: loc.currency(),
        account: account.to_owned(),
        category: cat.name.to_owned(),
        merchant: format!("{}:{}", loc.code(), m.name),
    }
}

fn purpose(loc: Locale, cat: &CatSpec, date: Date) -> String {
    let mm = date.month();
    let y = date.year();
    match (loc, cat.name) {
        (_, "Expenses:Housing:Rent") => match loc {
            Locale::De => format!("MIETE {mm:02}/{y}"),
            Locale::Nl => format!("HUUR {mm:02}-{y}"),
            Locale::No => format!("HUSLEIE {mm:02}.{y}"),
            Locale::Fr => format!("LOYER {mm:02}/{y}"),
            _ => format!("RENT {mm:02}/{y}"),
        },
        (Locale::De, _) => format!("RECHNUNG {}", 1000 + i64::from(mm) * 37),
        (Locale::Nl, _) => format!("FACTUUR {}", 2000 + i64::from(mm) * 41),
        (Locale::Fr, _) => format!("FACTURE {}", 3000 + i64::from(mm) * 43),
        _ => format!("{mm:02}/{y}"),
    }
}

/// Brand spelling variants as different banks and terminals print them.
fn variant(g: &mut Gen, name: &str, loc: Locale) -> String {
    let mut s = name.to_owned();
    if g.chance(0.08) {
        s = s.replace(' ', "");
    }
    if g.chance(0.06) {
        s = s.replace("'", "").replace('.', " ");
    }
    if g.chance(0.1) && !s.ends_with("GMBH") {
        let form = g.rng.pick(match loc {
            Locale::De => &["GMBH", "AG", "GMBH & CO KG"][..],
            Locale::Nl => &["B.V.", "BV", "N.V."][..],
            Locale::Es => &["S.L.", "SA", "S.A."][..],
            Locale::No => &["AS", "ASA"][..],
            Locale::Fr => &["SAS", "SA", "SARL"][..],
            Locale::En => &["LTD", "PLC", "LIMITED"][..],
        });
        s = format!("{s} {form}");
    }
    s
}

/// Case noise and truncation as bank exports produce them.
fn noise(g: &mut Gen, text: String) -> String {
    let mut s = text;
    if g.chance(0.12) {
        let keep = 22 + g.rng.below(14);
        if s.chars().count() > keep {
            s = s.chars().take(keep).collect();
        }
    }
    if g.chance(0.15) {
        s = s.to_lowercase();
    } else if g.chance(0.15) {
        s = title_case(&s);
    }
    s
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for ch in s.chars() {
        if start {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
        start = !ch.is_alphanumeric();
    }
    out
}
