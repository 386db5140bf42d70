// Question analysis for POST /v1/sessions/{id}/ask: language detection from stopwords and diacritics,
// and intent matching on keywords of the six languages (docs/explain.md).
#include <algorithm>
#include <array>
#include <string>

#include "api/explain_phrases.h"
#include "api/explain_text.h"

namespace evni::api::explain {
namespace {

// Lowercases ASCII, Latin-1 supplement capitals (À..Þ) and the Polish capitals.
std::string Lower(std::string_view in) {
    std::string s(in);
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 'A' && c <= 'Z') {
            s[i] = static_cast<char>(c + 32);
        } else if (c == 0xC3 && i + 1 < s.size()) {
            auto d = static_cast<unsigned char>(s[i + 1]);
            if (d >= 0x80 && d <= 0x9E && d != 0x97) s[i + 1] = static_cast<char>(d + 0x20);
            ++i;
        } else if ((c == 0xC4 || c == 0xC5) && i + 1 < s.size()) {
            auto d = static_cast<unsigned char>(s[i + 1]);
            const bool upper = (c == 0xC4 && (d == 0x84 || d == 0x86 || d == 0x98)) ||
                               (c == 0xC5 && (d == 0x81 || d == 0x83 || d == 0x9A || d == 0xB9 || d == 0xBB));
            if (upper) s[i + 1] = static_cast<char>(d + 1);
            ++i;
        }
    }
    return s;
}

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80 || c == '_'; }

// True when `key` occurs in `text` at the start of a word. A trailing '$' requires the word to end there.
bool HasWordPrefix(std::string_view text, std::string_view key) {
    bool whole = !key.empty() && key.back() == '$';
    if (whole) key.remove_suffix(1);
    for (auto pos = text.find(key); pos != std::string_view::npos; pos = text.find(key, pos + 1)) {
        if (pos > 0 && IsWordByte(static_cast<unsigned char>(text[pos - 1]))) continue;
        const auto end = pos + key.size();
        if (whole && end < text.size() && IsWordByte(static_cast<unsigned char>(text[end]))) continue;
        return true;
    }
    return false;
}

std::vector<std::string> Words(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : text) {
        if (IsWordByte(static_cast<unsigned char>(ch)) && ch != '_') {
            cur.push_back(ch);
        } else if (!cur.empty()) {
            out.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

struct LangCues {
    std::vector<std::string_view> stopwords;
    std::vector<std::string_view> strong_chars;  // letters only this language uses (weight 3)
    std::vector<std::string_view> weak_chars;    // letters it shares with another one (weight 1)
};

const std::array<LangCues, 6>& Cues() {
    static const std::array<LangCues, 6> cues = {{
        // en
        {{"the",  "is",   "was",  "what", "why",     "how",   "did",      "does",     "do",   "of",
          "this", "much", "many", "and",  "when",    "which", "were",     "has",      "have", "it",
          "to",   "on",   "at",   "an",   "session", "there", "charging", "delivered"},
         {},
         {}},
        // pl
        {{"jak",    "jaki",    "jaka",    "jakie", "czy",  "dlaczego", "ile",   "co",    "się",   "nie",   "na",
          "był",    "była",    "było",    "jest",  "tej",  "ta",       "kiedy", "czemu", "sesji", "sesja", "sesję",
          "został", "została", "energii", "mocy",  "stan", "który",    "która", "przez", "oraz"},
         {"ą", "ę", "ł", "ń", "ś", "ź", "ż", "ć"},
         {"ó"}},
        // de
        {{"der", "die", "das",  "ist",  "war",    "wie",    "warum",   "wieso", "was",     "wann",  "nicht",
          "und", "ein", "eine", "viel", "hat",    "wurde",  "sitzung", "den",   "dem",     "des",   "ich",
          "es",  "zu",  "mit",  "von",  "welche", "wurden", "gab",     "gibt",  "geladen", "ladung"},
         {"ß", "ä", "ü"},
         {"ö"}},
        // nl
        {{"de",  "het", "een",  "is",      "was",   "waarom", "hoeveel", "wat",  "wanneer", "niet",
          "en",  "van", "deze", "sessie",  "hoe",   "er",     "heeft",   "werd", "op",      "bij",
          "dat", "die", "zijn", "geladen", "waren", "welke",  "hoelang", "lang"},
         {"ij"},
         {}},
        // fr
        {{"le",  "la",  "les", "est",     "était", "pourquoi", "combien", "quel", "quelle", "quand",
          "ne",  "pas", "et",  "de",      "du",    "des",      "une",     "un",   "cette",  "session",
          "été", "qui", "que", "comment", "au",    "il",       "elle",    "ce",   "charge", "y"},
         {"ç", "à", "è", "ê", "ë", "î", "ï", "ô", "œ", "ù", "û", "â"},
         {"é"}},
        // es
        {{"el",     "la",   "los", "las",  "es",   "fue",     "por",   "qué",   "cuánto", "cuánta",
          "cuándo", "cómo", "no",  "y",    "de",   "del",     "una",   "un",    "esta",   "sesión",
          "se",     "ha",   "hay", "está", "cuál", "durante", "carga", "cuanto"},
         {"ñ", "¿", "¡", "á", "í", "ú"},
         {"é", "ó"}},
    }};
    return cues;
}

struct IntentKeys {
    Intent intent;
    std::vector<std::string_view> keys;
};

// Keywords of every language at once (a question may mix, e.g. "SoC" or "kWh" in any language).
const std::vector<IntentKeys>& Keys() {
    static const std::vector<IntentKeys> keys = {
        {Intent::kSoc,
         {"soc$",           "state of charge", "battery",         "charge level", "percent",     "stan naładowania",
          "naładowan",      "bateri",          "akumulator",      "procent",      "ladezustand", "batterie",
          "akku",           "prozent",         "laadtoestand",    "batterij",     "accu$",       "état de charge",
          "etat de charge", "pourcentage",     "estado de carga", "batería",      "porcentaje"}},
        {Intent::kEnergy,
         {"energ", "énerg", "kwh", "deliver", "dostarcz", "geliefert", "geleverd", "fourni", "entregad", "register",
          "licznik", "zähler", "meter", "compteur", "contador", "index"}},
        {Intent::kPower,
         {"power", "kw$", "watt", "peak", "moc$", "mocy", "mocą", "szczyt", "leistung", "spitze", "vermogen", "piek",
          "puissance", "potencia", "pico"}},
        {Intent::kDuration,
         {"duration", "how long", "czas trwania", "jak długo", "trwał", "dauer", "wie lange", "duur", "hoe lang",
          "hoelang", "durée", "combien de temps", "duré", "duración", "cuánto tiempo", "cuanto tiempo", "duró"}},
        {Intent::kTime, {"when",     "what time", "start",   "begin",    "end$",    "ended",        "kiedy",
                         "o której", "rozpocz",   "zakończ", "wann",     "uhrzeit", "beginn",       "ende$",
                         "wanneer",  "hoe laat",  "begon",   "eind",     "quand",   "quelle heure", "début",
                         "fin$",     "cuándo",    "cuando",  "qué hora", "inicio",  "empez",        "termin"}},
        {Intent::kAnomaly,
         {"anomal",  "wrong",  "problem",    "issue",  "fault",     "error",     "flag",     "błąd",
          "błęd",    "usterk", "nieprawidł", "fehler", "störung",   "auffällig", "probleem", "fout",
          "storing", "afwijk", "problème",   "erreur", "panne",     "défaut",    "problema", "fallo",
          "avería",  "anómal", "finding",    "befund", "bevinding", "constat",   "hallazg",  "ustaleni"}},
        {Intent::kWhy, {"why",      "reason", "cause",   "explain",  "dlaczego", "czemu",    "powód",   "powod",
                        "przyczyn", "wyjaśn", "warum",   "wieso",    "weshalb",  "grund",    "ursache", "erklär",
                        "waarom",   "reden",  "oorzaak", "verklaar", "leg uit",  "pourquoi", "raison",  "expliqu",
                        "por qué",  "porque", "por que", "razón",    "causa",    "motivo",   "explica"}},
        {Intent::kHistory,
         {"history",          "before",          "previous",     "recurr",     "again",     "other session",
          "how often",        "historia",        "historii",     "wcześniej",  "poprzedni", "powtarz",
          "inne sesje",       "jak często",      "historie",     "vorher",     "früher",    "wiederholt",
          "andere sitzungen", "wie oft",         "geschiedenis", "eerder",     "vorige",    "herhaal",
          "terugker",         "andere sessies",  "hoe vaak",     "historique", "précédent", "répét",
          "autres sessions",  "combien de fois", "historial",    "anterior",   "repit",     "otras sesiones",
          "frecuencia",       "antes$",          "ya había",     "przedtem"}},
        {Intent::kBilling, {"cost",  "price",   "bill",   "tariff", "invoice", "money",  "koszt",   "cena",
                            "ceny",  "rachun",  "faktur", "taryf",  "opłat",   "kosten", "preis",   "rechnung",
                            "tarif", "abrechn", "geld",   "kost",   "prijs",   "factu",  "tarief",  "coût",
                            "prix",  "argent",  "coste",  "costo",  "precio",  "dinero", "importe", "eur$"}},
        {Intent::kConnector,
         {"connector", "plug",     "rating",       "rated",        "phase",   "złącz", "wtyk",       "faz",
          "anschluss", "stecker",  "nennleistung", "aansluiting",  "stekker", "fase",  "connecteur", "point de charge",
          "prise",     "conector", "enchufe",      "current type", "ac$",     "dc$"}},
    };
    return keys;
}

}  // namespace

std::string_view IntentName(Intent intent) {
    static constexpr std::string_view kNames[] = {"soc",     "energy", "power",   "duration", "time",
                                                  "anomaly", "why",    "history", "billing",  "connector"};
    return kNames[static_cast<std::size_t>(intent)];
}

Lang DetectLanguage(std::string_view question) {
    const std::string text = Lower(question);
    const auto words = Words(text);
    std::array<int, 6> score{};
    const auto& cues = Cues();
    for (std::size_t l = 0; l < cues.size(); ++l) {
        for (const auto& w : words) {
            if (std::find(cues[l].stopwords.begin(), cues[l].stopwords.end(), w) != cues[l].stopwords.end())
                score[l] += 2;
        }
        for (const auto& c : cues[l].strong_chars) {
            for (auto pos = text.find(c); pos != std::string::npos; pos = text.find(c, pos + 1)) score[l] += 3;
        }
        for (const auto& c : cues[l].weak_chars) {
            for (auto pos = text.find(c); pos != std::string::npos; pos = text.find(c, pos + 1)) score[l] += 1;
        }
    }
    // Ties go to the earlier language (English first).
    std::size_t best = 0;
    for (std::size_t l = 1; l < score.size(); ++l) {
        if (score[l] > score[best]) best = l;
    }
    return static_cast<Lang>(best);
}

QuestionAnalysis AnalyzeQuestion(std::string_view question) {
    const std::string text = Lower(question);
    QuestionAnalysis qa;
    for (const auto& ik : Keys()) {
        for (const auto& k : ik.keys) {
            if (HasWordPrefix(text, k)) {
                qa.intents.push_back(ik.intent);
                break;
            }
        }
    }
    // Categories named by id ("ENERGY_PIT", "energy pit") or by their name in any language.
    for (const auto id : kCategoryIds) {
        const std::string lower_id = Lower(id);
        std::string spaced = lower_id;
        std::replace(spaced.begin(), spaced.end(), '_', ' ');
        bool named = HasWordPrefix(text, lower_id) || HasWordPrefix(text, spaced);
        for (std::size_t l = 0; l < 6 && !named; ++l) {
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                if (kCategoryIds[i] == id && HasWordPrefix(text, Lower(PhrasebookFor(l).categories[i].name))) {
                    named = true;
                }
            }
        }
        if (named) qa.categories.emplace_back(id);
    }
    return qa;
}

}  // namespace evni::api::explain
