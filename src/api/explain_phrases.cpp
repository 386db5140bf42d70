// The phrasebooks of the built-in explainer: English, Polish, German, Dutch, French, Spanish.
// Likely causes and checks follow the fault catalogue of domain.md §3 and the categories of analysis.md §2.
#include "api/explain_phrases.h"

namespace evni::api::explain {
namespace {

const Phrasebook kEnglish{
    .decimal = '.',
    .pct = "%",
    .verdict_anomaly =
        "Session {session} ({where}) is flagged as anomalous: anomaly score {score}, confidence "
        "{confidence}%.",
    .verdict_below =
        "Session {session} ({where}) is not flagged: its findings stay below the alert threshold "
        "(anomaly score {score}, threshold {threshold}).",
    .verdict_normal = "Session {session} ({where}) looks normal: no anomaly was found (confidence {confidence}%).",
    .verdict_pending = "Session {session} ({where}) has not been analysed yet, so there is no verdict to explain.",
    .where_station = "station {station}",
    .where_connector = "station {station}, connector {connector}",
    .incident =
        "It counts as an incident: the finding is severe and certain, or it keeps recurring on this "
        "connector.",
    .recurring = "The same kind of finding recurs on this connector.",
    .findings = "Findings:",
    .anomaly_line =
        "{name} on {date} from {start} to {end} UTC ({duration} min): severity {score}, confidence "
        "{confidence}%.",
    .magnitude = "Size of the jump or drop: {magnitude} kWh.",
    .meaning = "What it means: {meaning}.",
    .causes = "Likely causes: {causes}.",
    .checks = "What to check next: {checks}.",
    .short_check = "Next step: {checks}.",
    .anomaly_recurrence = "Other sessions on this connector with the same finding in the last {days} days: {n}.",
    .period = "The session ran from {start_date} {start} to {end_date} {end} UTC ({duration} min).",
    .energy = "Energy delivered: {energy} kWh.",
    .mean_power = "Mean power: {mean} kW.",
    .peak_power = "Peak power: {peak} kW.",
    .no_energy = "The session has no usable energy register readings.",
    .soc_reported = "State of charge: from {soc_start}% to {soc_end}%, as reported by the vehicle.",
    .soc_reconstructed =
        "State of charge: from {soc_start}% to {soc_end}%, reconstructed by evni from the energy "
        "curve because the vehicle reported too little (confidence {soc_conf}%).",
    .soc_none =
        "There is no state of charge for this session: the vehicle reported none and it could not be "
        "reconstructed.",
    .connector = "Connector: {facts}.",
    .connector_rating = "rated power {max_power} kW",
    .connector_type = "current type {type}",
    .connector_phases = "phases: {phases}",
    .connector_unknown = "The connector's rating is not known (no maxPowerKw in the session metadata).",
    .stop_reason = "Stop reason reported by the charger: {reason}.",
    .tariff = "At {tariff} the energy delivered is worth {cost}.",
    .billed = "Amount billed for the session: {billed}.",
    .discrepancy =
        "The register's net change ({delta} kWh) differs from the energy delivered by {disc} kWh, worth "
        "{disc_cost}: check the invoice before it is sent.",
    .discrepancy_no_tariff =
        "The register's net change ({delta} kWh) differs from the energy delivered by {disc} "
        "kWh: check the invoice before it is sent.",
    .no_tariff = "No tariff is known for this session, so the billing impact cannot be given in money.",
    .history = "Other sessions on this connector in the {days} days up to this one: {n}.",
    .history_categories = "With anomalies among them: {list}.",
    .history_clean = "None of them had an anomaly.",
    .station = "Station model, day {day}: {judgement} (score {day_score}).",
    .station_anomalous = "the station's day is unusual",
    .station_normal = "the station's day is normal",
    .station_energy = "Energy on that day: {day_energy} kWh, expected {expected} kWh.",
    .normal_advice = "No action is needed.",
    .pending_advice = "It will be analysed once it holds enough meter values with an energy series.",
    .technical_header = "Technical summary",
    .unanswerable =
        "The facts of this session do not answer that question. I can answer questions about the state "
        "of charge, energy, power, duration, the anomalies and the verdict, the connector's history and "
        "the billing impact.",
    .no_anomalies = "No anomaly was found in this session.",
    .category_absent = "This session has no finding of the type \"{name}\".",
    .why_flagged =
        "The session is flagged because its highest anomaly score ({score}) reaches the alert threshold "
        "({threshold}).",
    .why_not_flagged =
        "The session is not flagged because its highest anomaly score ({score}) is below the alert "
        "threshold ({threshold}).",
    .why_clean = "The session is not flagged because the analysis found no anomaly.",
    .no_power = "The session has no power readings.",
    .no_duration = "The session's duration is not known.",
    .categories = {{
        {"energy register decrease",
         "the energy meter reading went down during the session, which a cumulative "
         "register never does",
         "a meter fault, or readings from two different register bases (session-relative and lifetime) mixed in one "
         "session",
         "compare the meter values with the meter's display or the signed meter data, check whether the charger mixes "
         "session and lifetime readings, and correct the billed energy before invoicing"},
        {"meter reset", "the energy register restarted near zero (or wrapped around) and then climbed again",
         "a charger or meter reboot, a meter replacement, or a register rollover",
         "look for a reboot or power cut in the charger's logs at that time, and bill the energy from both parts of "
         "the register"},
        {"energy spike", "the energy register jumped by more than the connector can physically deliver in that time",
         "a Wh/kWh unit mix-up, the lifetime register reported as session energy, or a zero placeholder at the start "
         "of an offline session",
         "check the unit the charger sends, compare the first reading with the transaction's start value, and do not "
         "bill the jump"},
        {"energy pit",
         "delivery dropped to about zero for a sustained stretch in the middle of the session and later "
         "resumed, while the offered power did not go to zero",
         "a charger fault, a contactor opening, or a communication drop between charger and vehicle",
         "check the charger's error and status notifications at that time and inspect the contactor and the cable"},
        {"stuck energy register", "the energy register stayed flat while power was being delivered",
         "a frozen meter, or a meter that only updates the register at the end of the session",
         "compare the register with the power readings, check the meter's firmware and communication, and verify the "
         "final meter reading before billing"},
        {"energy and power mismatch",
         "the energy computed from the power readings and the change of the energy "
         "register disagree substantially",
         "a unit error in one of the two series, meter calibration, or a wrong sum of the phases",
         "check the units of the power and energy readings and the meter's calibration, and whether per-phase values "
         "are summed correctly"},
        {"power over the connector limit", "the measured power exceeded the connector's rated or offered power",
         "a current limit that the vehicle or charger did not honour, or wrong rating data for the connector",
         "verify the connector's rating in the station data and the charging profile sent to the charger, and inspect "
         "the cable and plug for heat damage"},
        {"state of charge decrease", "the state of charge reported by the vehicle fell while energy was being imported",
         "a wrong SoC source or an error in the vehicle's reporting",
         "check which device reports the SoC and its location field, and treat the SoC of this session with caution"},
        {"state of charge jump",
         "the state of charge changed by more than the energy delivered can explain, or jumped "
         "to full",
         "a recalibration of the vehicle's battery management system, or a lifetime value reported as SoC",
         "compare the SoC change with the energy delivered and check the vehicle-side readings"},
        {"session without energy", "the session lasted a while but delivered almost no energy",
         "a failed start, or a vehicle that did not accept the charge",
         "check the charger's status notifications for errors at the start, whether the vehicle was ready to charge, "
         "and whether the session should be billed at all"},
        {"invalid timestamps",
         "some readings have timestamps that cannot be right: far in the past, in the future, or "
         "duplicated with different values",
         "a charger clock that was not set after a boot, or local time sent as UTC",
         "check the charger's clock synchronisation and time zone settings"},
        {"data gap", "no meter values arrived for a long stretch while the session was active",
         "a lost offline queue or a connectivity problem",
         "check the charger's connectivity at that time and whether queued meter values were resent"},
        {"idle occupancy", "the vehicle stayed connected for a long time at the end of the session without charging",
         "a full battery and a car left plugged in, blocking the charger",
         "consider idle fees or a notification to the driver; no technical fault is implied"},
        {"session overlap", "this session overlaps in time with another session on the same station and connector",
         "a duplicate start after a reconnect, or misuse of the connector",
         "compare both sessions' start and stop events, close the stale one, and make sure the energy is billed only "
         "once"},
    }},
};

const Phrasebook kPolish{
    .decimal = ',',
    .pct = "%",
    .verdict_anomaly =
        "Sesja {session} ({where}) została oznaczona jako nieprawidłowa: wynik anomalii {score}, "
        "pewność {confidence}%.",
    .verdict_below =
        "Sesja {session} ({where}) nie została oznaczona: jej ustalenia pozostają poniżej progu "
        "alarmowego (wynik anomalii {score}, próg {threshold}).",
    .verdict_normal =
        "Sesja {session} ({where}) wygląda prawidłowo: nie wykryto żadnej anomalii (pewność "
        "{confidence}%).",
    .verdict_pending =
        "Sesja {session} ({where}) nie została jeszcze przeanalizowana, więc nie ma werdyktu do "
        "wyjaśnienia.",
    .where_station = "stacja {station}",
    .where_connector = "stacja {station}, złącze {connector}",
    .incident = "Jest to incydent: ustalenie jest poważne i pewne albo powtarza się na tym złączu.",
    .recurring = "Ten sam rodzaj ustalenia powtarza się na tym złączu.",
    .findings = "Ustalenia:",
    .anomaly_line =
        "{name} w dniu {date} od {start} do {end} UTC ({duration} min): istotność {score}, pewność "
        "{confidence}%.",
    .magnitude = "Wielkość skoku lub spadku: {magnitude} kWh.",
    .meaning = "Co to oznacza: {meaning}.",
    .causes = "Prawdopodobne przyczyny: {causes}.",
    .checks = "Co sprawdzić: {checks}.",
    .short_check = "Następny krok: {checks}.",
    .anomaly_recurrence = "Inne sesje na tym złączu z tym samym ustaleniem w ciągu ostatnich {days} dni: {n}.",
    .period = "Sesja trwała od {start_date} {start} do {end_date} {end} UTC ({duration} min).",
    .energy = "Dostarczona energia: {energy} kWh.",
    .mean_power = "Średnia moc: {mean} kW.",
    .peak_power = "Moc szczytowa: {peak} kW.",
    .no_energy = "Sesja nie ma użytecznych odczytów licznika energii.",
    .soc_reported = "Stan naładowania: od {soc_start}% do {soc_end}%, według danych z pojazdu.",
    .soc_reconstructed =
        "Stan naładowania: od {soc_start}% do {soc_end}%, odtworzony przez evni z krzywej energii, "
        "ponieważ pojazd podał za mało danych (pewność {soc_conf}%).",
    .soc_none = "Brak stanu naładowania dla tej sesji: pojazd go nie podał i nie dało się go odtworzyć.",
    .connector = "Złącze: {facts}.",
    .connector_rating = "moc znamionowa {max_power} kW",
    .connector_type = "rodzaj prądu {type}",
    .connector_phases = "liczba faz: {phases}",
    .connector_unknown = "Moc znamionowa złącza nie jest znana (brak maxPowerKw w metadanych sesji).",
    .stop_reason = "Powód zakończenia zgłoszony przez ładowarkę: {reason}.",
    .tariff = "Przy stawce {tariff} dostarczona energia jest warta {cost}.",
    .billed = "Kwota naliczona za sesję: {billed}.",
    .discrepancy =
        "Zmiana netto licznika ({delta} kWh) różni się od dostarczonej energii o {disc} kWh, co odpowiada "
        "kwocie {disc_cost}: sprawdź fakturę przed wysłaniem.",
    .discrepancy_no_tariff =
        "Zmiana netto licznika ({delta} kWh) różni się od dostarczonej energii o {disc} kWh: "
        "sprawdź fakturę przed wysłaniem.",
    .no_tariff =
        "Dla tej sesji nie jest znana żadna taryfa, więc skutku dla rozliczenia nie można podać w "
        "pieniądzach.",
    .history = "Inne sesje na tym złączu w ciągu {days} dni do tej sesji: {n}.",
    .history_categories = "Z anomaliami wśród nich: {list}.",
    .history_clean = "Żadna z nich nie miała anomalii.",
    .station = "Model stacji, dzień {day}: {judgement} (wynik {day_score}).",
    .station_anomalous = "dzień stacji jest nietypowy",
    .station_normal = "dzień stacji jest typowy",
    .station_energy = "Energia tego dnia: {day_energy} kWh, oczekiwana {expected} kWh.",
    .normal_advice = "Nie trzeba nic robić.",
    .pending_advice = "Analiza nastąpi, gdy sesja będzie miała wystarczająco dużo odczytów z serią energii.",
    .technical_header = "Podsumowanie techniczne",
    .unanswerable =
        "Dane tej sesji nie odpowiadają na to pytanie. Mogę odpowiedzieć na pytania o stan naładowania, "
        "energię, moc, czas trwania, anomalie i werdykt, historię złącza oraz skutki dla rozliczenia.",
    .no_anomalies = "W tej sesji nie wykryto żadnej anomalii.",
    .category_absent = "W tej sesji nie ma ustalenia typu „{name}”.",
    .why_flagged =
        "Sesja jest oznaczona, ponieważ jej najwyższy wynik anomalii ({score}) osiąga próg alarmowy "
        "({threshold}).",
    .why_not_flagged =
        "Sesja nie jest oznaczona, ponieważ jej najwyższy wynik anomalii ({score}) jest poniżej progu "
        "alarmowego ({threshold}).",
    .why_clean = "Sesja nie jest oznaczona, ponieważ analiza nie wykryła żadnej anomalii.",
    .no_power = "Sesja nie ma odczytów mocy.",
    .no_duration = "Czas trwania sesji nie jest znany.",
    .categories = {{
        {"spadek wskazania licznika energii",
         "wskazanie licznika energii zmalało w trakcie sesji, czego licznik "
         "narastający nigdy nie robi",
         "usterka licznika albo pomieszanie w jednej sesji odczytów z dwóch różnych podstaw licznika (sesyjnej i "
         "całkowitej)",
         "porównaj odczyty z wyświetlaczem licznika lub podpisanymi danymi pomiarowymi, sprawdź, czy ładowarka nie "
         "miesza odczytów sesyjnych i całkowitych, i skoryguj rozliczaną energię przed wystawieniem faktury"},
        {"reset licznika", "licznik energii zaczął liczyć od zera (lub się przekręcił), a potem znów rósł",
         "restart ładowarki lub licznika, wymiana licznika albo przepełnienie rejestru",
         "poszukaj w logach ładowarki restartu lub zaniku zasilania w tym czasie i rozlicz energię z obu części "
         "odczytów"},
        {"skok energii", "licznik energii skoczył o więcej, niż złącze może fizycznie dostarczyć w tym czasie",
         "pomylenie jednostek Wh i kWh, całkowity stan licznika podany jako energia sesji albo zerowy odczyt "
         "zastępczy na początku sesji offline",
         "sprawdź jednostkę wysyłaną przez ładowarkę, porównaj pierwszy odczyt z wartością początkową transakcji i "
         "nie rozliczaj tego skoku"},
        {"przerwa w dostawie energii",
         "dostawa energii spadła prawie do zera na dłuższy czas w środku sesji, a "
         "później wróciła, choć oferowana moc nie spadła do zera",
         "usterka ładowarki, rozwarcie stycznika albo przerwa w komunikacji między ładowarką a pojazdem",
         "sprawdź komunikaty o błędach i statusie ładowarki z tego czasu oraz skontroluj stycznik i kabel"},
        {"zablokowany licznik energii", "licznik energii stał w miejscu, choć moc była dostarczana",
         "zawieszony licznik albo licznik aktualizujący stan dopiero na końcu sesji",
         "porównaj stan licznika z odczytami mocy, sprawdź oprogramowanie i komunikację licznika oraz zweryfikuj "
         "końcowy odczyt przed rozliczeniem"},
        {"niezgodność energii i mocy",
         "energia obliczona z odczytów mocy wyraźnie różni się od przyrostu licznika "
         "energii",
         "błąd jednostki w jednej z serii, kalibracja licznika albo błędne sumowanie faz",
         "sprawdź jednostki odczytów mocy i energii, kalibrację licznika oraz poprawność sumowania wartości fazowych"},
        {"moc powyżej limitu złącza", "zmierzona moc przekroczyła moc znamionową lub oferowaną złącza",
         "limit prądu, którego pojazd lub ładowarka nie przestrzegały, albo błędne dane znamionowe złącza",
         "zweryfikuj moc znamionową złącza w danych stacji i profil ładowania wysłany do ładowarki oraz obejrzyj kabel "
         "i wtyk pod kątem przegrzania"},
        {"spadek stanu naładowania", "stan naładowania podawany przez pojazd malał, choć energia była pobierana",
         "niewłaściwe źródło SoC albo błąd raportowania po stronie pojazdu",
         "sprawdź, które urządzenie podaje SoC i jakie ma pole lokalizacji, i traktuj SoC tej sesji z ostrożnością"},
        {"skok stanu naładowania",
         "stan naładowania zmienił się bardziej, niż wyjaśnia to dostarczona energia, albo "
         "skoczył do pełna",
         "ponowna kalibracja systemu zarządzania baterią pojazdu albo wartość całkowita podana jako SoC",
         "porównaj zmianę SoC z dostarczoną energią i sprawdź odczyty po stronie pojazdu"},
        {"sesja bez energii", "sesja trwała dłuższą chwilę, ale nie dostarczyła prawie żadnej energii",
         "nieudany start ładowania albo pojazd, który nie przyjmował energii",
         "sprawdź komunikaty statusu ładowarki pod kątem błędów na początku sesji, czy pojazd był gotowy do ładowania "
         "i czy sesję w ogóle należy rozliczyć"},
        {"nieprawidłowe znaczniki czasu",
         "niektóre odczyty mają znaczniki czasu, które nie mogą być prawdziwe: z "
         "odległej przeszłości, z przyszłości albo zdublowane z różnymi wartościami",
         "zegar ładowarki nieustawiony po restarcie albo czas lokalny wysyłany jako UTC",
         "sprawdź synchronizację zegara ładowarki i ustawienia strefy czasowej"},
        {"luka w danych", "przez dłuższy czas aktywnej sesji nie napłynęły żadne odczyty",
         "utracona kolejka offline albo problem z łącznością",
         "sprawdź łączność ładowarki w tym czasie i czy zaległe odczyty zostały ponownie wysłane"},
        {"bezczynne zajmowanie złącza", "pojazd pozostał podłączony przez długi czas na końcu sesji, nie ładując się",
         "pełna bateria i samochód pozostawiony przy ładowarce, który ją blokuje",
         "rozważ opłatę za postój lub powiadomienie kierowcy; nie oznacza to usterki technicznej"},
        {"nakładanie się sesji", "ta sesja nakłada się w czasie na inną sesję na tej samej stacji i tym samym złączu",
         "zdublowany start po ponownym połączeniu albo nadużycie złącza",
         "porównaj zdarzenia rozpoczęcia i zakończenia obu sesji, zamknij nieaktualną i upewnij się, że energia jest "
         "rozliczona tylko raz"},
    }},
};

const Phrasebook kGerman{
    .decimal = ',',
    .pct = " %",
    .verdict_anomaly =
        "Die Sitzung {session} ({where}) ist als auffällig markiert: Anomaliewert {score}, Konfidenz "
        "{confidence} %.",
    .verdict_below =
        "Die Sitzung {session} ({where}) ist nicht markiert: Die Befunde bleiben unter der Alarmschwelle "
        "(Anomaliewert {score}, Schwelle {threshold}).",
    .verdict_normal =
        "Die Sitzung {session} ({where}) ist unauffällig: Es wurde keine Anomalie gefunden (Konfidenz "
        "{confidence} %).",
    .verdict_pending =
        "Die Sitzung {session} ({where}) wurde noch nicht analysiert, daher gibt es kein Ergebnis zu "
        "erklären.",
    .where_station = "Station {station}",
    .where_connector = "Station {station}, Anschluss {connector}",
    .incident =
        "Sie gilt als Vorfall: Der Befund ist schwerwiegend und sicher, oder er tritt an diesem Anschluss "
        "wiederholt auf.",
    .recurring = "Dieselbe Art von Befund tritt an diesem Anschluss wiederholt auf.",
    .findings = "Befunde:",
    .anomaly_line =
        "{name} am {date} von {start} bis {end} UTC ({duration} min): Schweregrad {score}, Konfidenz "
        "{confidence} %.",
    .magnitude = "Größe des Sprungs oder Rückgangs: {magnitude} kWh.",
    .meaning = "Bedeutung: {meaning}.",
    .causes = "Wahrscheinliche Ursachen: {causes}.",
    .checks = "Als Nächstes prüfen: {checks}.",
    .short_check = "Nächster Schritt: {checks}.",
    .anomaly_recurrence =
        "Andere Sitzungen an diesem Anschluss mit demselben Befund in den letzten {days} Tagen: "
        "{n}.",
    .period = "Die Sitzung lief von {start_date} {start} bis {end_date} {end} UTC ({duration} min).",
    .energy = "Gelieferte Energie: {energy} kWh.",
    .mean_power = "Mittlere Leistung: {mean} kW.",
    .peak_power = "Spitzenleistung: {peak} kW.",
    .no_energy = "Die Sitzung hat keine verwertbaren Energiezählerstände.",
    .soc_reported = "Ladezustand: von {soc_start} % auf {soc_end} %, vom Fahrzeug gemeldet.",
    .soc_reconstructed =
        "Ladezustand: von {soc_start} % auf {soc_end} %, von evni aus der Energiekurve "
        "rekonstruiert, weil das Fahrzeug zu wenig gemeldet hat (Konfidenz {soc_conf} %).",
    .soc_none =
        "Für diese Sitzung gibt es keinen Ladezustand: Das Fahrzeug hat keinen gemeldet, und er ließ sich "
        "nicht rekonstruieren.",
    .connector = "Anschluss: {facts}.",
    .connector_rating = "Nennleistung {max_power} kW",
    .connector_type = "Stromart {type}",
    .connector_phases = "Phasen: {phases}",
    .connector_unknown =
        "Die Nennleistung des Anschlusses ist nicht bekannt (kein maxPowerKw in den Metadaten der "
        "Sitzung).",
    .stop_reason = "Von der Ladestation gemeldeter Stoppgrund: {reason}.",
    .tariff = "Zum Tarif von {tariff} ist die gelieferte Energie {cost} wert.",
    .billed = "Für die Sitzung abgerechneter Betrag: {billed}.",
    .discrepancy =
        "Die Nettoänderung des Zählers ({delta} kWh) weicht um {disc} kWh von der gelieferten Energie ab, "
        "das entspricht {disc_cost}: Prüfen Sie die Rechnung, bevor sie versendet wird.",
    .discrepancy_no_tariff =
        "Die Nettoänderung des Zählers ({delta} kWh) weicht um {disc} kWh von der gelieferten "
        "Energie ab: Prüfen Sie die Rechnung, bevor sie versendet wird.",
    .no_tariff =
        "Für diese Sitzung ist kein Tarif bekannt, daher lässt sich die Auswirkung auf die Abrechnung nicht "
        "in Geld angeben.",
    .history = "Andere Sitzungen an diesem Anschluss in den {days} Tagen bis zu dieser: {n}.",
    .history_categories = "Davon mit Anomalien: {list}.",
    .history_clean = "Keine davon hatte eine Anomalie.",
    .station = "Stationsmodell, Tag {day}: {judgement} (Wert {day_score}).",
    .station_anomalous = "Der Tag der Station ist auffällig",
    .station_normal = "Der Tag der Station ist unauffällig",
    .station_energy = "Energie an diesem Tag: {day_energy} kWh, erwartet {expected} kWh.",
    .normal_advice = "Es ist nichts zu tun.",
    .pending_advice = "Sie wird analysiert, sobald sie genug Messwerte mit einer Energiereihe enthält.",
    .technical_header = "Technische Zusammenfassung",
    .unanswerable =
        "Die Fakten dieser Sitzung beantworten diese Frage nicht. Ich kann Fragen zum Ladezustand, zur "
        "Energie, zur Leistung, zur Dauer, zu den Anomalien und zum Ergebnis, zur Historie des Anschlusses "
        "und zu den Auswirkungen auf die Abrechnung beantworten.",
    .no_anomalies = "In dieser Sitzung wurde keine Anomalie gefunden.",
    .category_absent = "Diese Sitzung hat keinen Befund vom Typ „{name}“.",
    .why_flagged =
        "Die Sitzung ist markiert, weil ihr höchster Anomaliewert ({score}) die Alarmschwelle "
        "({threshold}) erreicht.",
    .why_not_flagged =
        "Die Sitzung ist nicht markiert, weil ihr höchster Anomaliewert ({score}) unter der "
        "Alarmschwelle ({threshold}) liegt.",
    .why_clean = "Die Sitzung ist nicht markiert, weil die Analyse keine Anomalie gefunden hat.",
    .no_power = "Die Sitzung hat keine Leistungswerte.",
    .no_duration = "Die Dauer der Sitzung ist nicht bekannt.",
    .categories = {{
        {"Rückgang des Energiezählers",
         "der Stand des Energiezählers ist während der Sitzung gesunken, was ein "
         "kumulativer Zähler nie tut",
         "ein Zählerdefekt oder Zählerstände aus zwei verschiedenen Bezugsgrößen (sitzungsbezogen und Gesamtstand), "
         "die in einer Sitzung vermischt wurden",
         "vergleichen Sie die Messwerte mit der Zähleranzeige oder den signierten Messdaten, prüfen Sie, ob die "
         "Ladestation Sitzungs- und Gesamtstände vermischt, und korrigieren Sie die abgerechnete Energie vor der "
         "Rechnungsstellung"},
        {"Zählerrücksetzung",
         "der Energiezähler ist nahe null neu gestartet (oder übergelaufen) und danach wieder "
         "gestiegen",
         "ein Neustart der Ladestation oder des Zählers, ein Zählertausch oder ein Überlauf des Zählwerks",
         "suchen Sie in den Protokollen der Ladestation nach einem Neustart oder Stromausfall zu dieser Zeit und "
         "rechnen Sie die Energie aus beiden Abschnitten ab"},
        {"Energiesprung",
         "der Energiezähler ist stärker gestiegen, als der Anschluss in dieser Zeit physikalisch "
         "liefern kann",
         "eine Verwechslung von Wh und kWh, der Gesamtzählerstand als Sitzungsenergie gemeldet oder ein Nullwert als "
         "Platzhalter zu Beginn einer Offline-Sitzung",
         "prüfen Sie die von der Ladestation gesendete Einheit, vergleichen Sie den ersten Messwert mit dem Startwert "
         "der Transaktion und rechnen Sie den Sprung nicht ab"},
        {"Energieeinbruch",
         "die Energielieferung fiel mitten in der Sitzung für längere Zeit auf nahezu null und "
         "setzte später wieder ein, obwohl die angebotene Leistung nicht auf null ging",
         "ein Fehler der Ladestation, ein öffnendes Schütz oder ein Kommunikationsabbruch zwischen Ladestation und "
         "Fahrzeug",
         "prüfen Sie die Fehler- und Statusmeldungen der Ladestation aus dieser Zeit und kontrollieren Sie Schütz und "
         "Kabel"},
        {"hängender Energiezähler", "der Energiezähler blieb unverändert, während Leistung geliefert wurde",
         "ein eingefrorener Zähler oder ein Zähler, der seinen Stand erst am Ende der Sitzung aktualisiert",
         "vergleichen Sie den Zählerstand mit den Leistungswerten, prüfen Sie Firmware und Kommunikation des Zählers "
         "und kontrollieren Sie den Endstand vor der Abrechnung"},
        {"Abweichung zwischen Energie und Leistung",
         "die aus den Leistungswerten berechnete Energie und der Anstieg "
         "des Energiezählers weichen deutlich voneinander ab",
         "ein Einheitenfehler in einer der beiden Reihen, die Kalibrierung des Zählers oder eine falsche Summe der "
         "Phasen",
         "prüfen Sie die Einheiten der Leistungs- und Energiewerte, die Kalibrierung des Zählers und ob die "
         "Phasenwerte richtig summiert werden"},
        {"Leistung über dem Anschlusslimit",
         "die gemessene Leistung lag über der Nenn- oder angebotenen Leistung des "
         "Anschlusses",
         "eine Strombegrenzung, die Fahrzeug oder Ladestation nicht eingehalten haben, oder falsche Nenndaten des "
         "Anschlusses",
         "prüfen Sie die Nennleistung des Anschlusses in den Stationsdaten und das an die Ladestation gesendete "
         "Ladeprofil und untersuchen Sie Kabel und Stecker auf Hitzeschäden"},
        {"Rückgang des Ladezustands", "der vom Fahrzeug gemeldete Ladezustand sank, während Energie bezogen wurde",
         "eine falsche SoC-Quelle oder ein Meldefehler des Fahrzeugs",
         "prüfen Sie, welches Gerät den SoC meldet und mit welchem Ortsfeld, und bewerten Sie den SoC dieser Sitzung "
         "mit Vorsicht"},
        {"Sprung des Ladezustands",
         "der Ladezustand änderte sich stärker, als die gelieferte Energie erklären kann, "
         "oder sprang auf voll",
         "eine Neukalibrierung des Batteriemanagementsystems des Fahrzeugs oder ein Gesamtwert, der als SoC gemeldet "
         "wurde",
         "vergleichen Sie die Änderung des SoC mit der gelieferten Energie und prüfen Sie die fahrzeugseitigen "
         "Messwerte"},
        {"Sitzung ohne Energie", "die Sitzung dauerte eine Weile, lieferte aber fast keine Energie",
         "ein fehlgeschlagener Start oder ein Fahrzeug, das keine Ladung angenommen hat",
         "prüfen Sie die Statusmeldungen der Ladestation auf Fehler zu Beginn, ob das Fahrzeug ladebereit war und ob "
         "die Sitzung überhaupt abgerechnet werden sollte"},
        {"ungültige Zeitstempel",
         "einige Messwerte haben Zeitstempel, die nicht stimmen können: weit in der "
         "Vergangenheit, in der Zukunft oder doppelt mit unterschiedlichen Werten",
         "eine Uhr der Ladestation, die nach einem Neustart nicht gestellt wurde, oder Ortszeit, die als UTC gesendet "
         "wird",
         "prüfen Sie die Uhrzeitsynchronisation und die Zeitzoneneinstellungen der Ladestation"},
        {"Datenlücke", "während der aktiven Sitzung kamen über längere Zeit keine Messwerte an",
         "eine verlorene Offline-Warteschlange oder ein Verbindungsproblem",
         "prüfen Sie die Verbindung der Ladestation zu dieser Zeit und ob zwischengespeicherte Messwerte nachgesendet "
         "wurden"},
        {"Belegung ohne Ladung", "das Fahrzeug blieb am Ende der Sitzung lange angeschlossen, ohne zu laden",
         "eine volle Batterie und ein angeschlossen gelassenes Auto, das den Ladepunkt blockiert",
         "erwägen Sie Blockiergebühren oder eine Nachricht an den Fahrer; ein technischer Defekt liegt nicht vor"},
        {"Sitzungsüberschneidung",
         "diese Sitzung überschneidet sich zeitlich mit einer anderen Sitzung an derselben "
         "Station und demselben Anschluss",
         "ein doppelter Start nach einem Verbindungsaufbau oder Missbrauch des Anschlusses",
         "vergleichen Sie die Start- und Stoppereignisse beider Sitzungen, schließen Sie die veraltete und stellen Sie "
         "sicher, dass die Energie nur einmal abgerechnet wird"},
    }},
};

const Phrasebook kDutch{
    .decimal = ',',
    .pct = "%",
    .verdict_anomaly =
        "Sessie {session} ({where}) is als afwijkend gemarkeerd: anomaliescore {score}, "
        "betrouwbaarheid {confidence}%.",
    .verdict_below =
        "Sessie {session} ({where}) is niet gemarkeerd: de bevindingen blijven onder de alarmdrempel "
        "(anomaliescore {score}, drempel {threshold}).",
    .verdict_normal =
        "Sessie {session} ({where}) ziet er normaal uit: er is geen anomalie gevonden (betrouwbaarheid "
        "{confidence}%).",
    .verdict_pending = "Sessie {session} ({where}) is nog niet geanalyseerd, dus er is geen oordeel om uit te leggen.",
    .where_station = "station {station}",
    .where_connector = "station {station}, aansluiting {connector}",
    .incident = "Dit geldt als incident: de bevinding is ernstig en zeker, of komt op deze aansluiting steeds terug.",
    .recurring = "Dezelfde soort bevinding komt op deze aansluiting herhaaldelijk voor.",
    .findings = "Bevindingen:",
    .anomaly_line =
        "{name} op {date} van {start} tot {end} UTC ({duration} min): ernst {score}, betrouwbaarheid "
        "{confidence}%.",
    .magnitude = "Grootte van de sprong of daling: {magnitude} kWh.",
    .meaning = "Wat het betekent: {meaning}.",
    .causes = "Waarschijnlijke oorzaken: {causes}.",
    .checks = "Wat te controleren: {checks}.",
    .short_check = "Volgende stap: {checks}.",
    .anomaly_recurrence =
        "Andere sessies op deze aansluiting met dezelfde bevinding in de afgelopen {days} dagen: "
        "{n}.",
    .period = "De sessie liep van {start_date} {start} tot {end_date} {end} UTC ({duration} min).",
    .energy = "Geleverde energie: {energy} kWh.",
    .mean_power = "Gemiddeld vermogen: {mean} kW.",
    .peak_power = "Piekvermogen: {peak} kW.",
    .no_energy = "De sessie heeft geen bruikbare standen van de energiemeter.",
    .soc_reported = "Laadtoestand: van {soc_start}% naar {soc_end}%, zoals gemeld door het voertuig.",
    .soc_reconstructed =
        "Laadtoestand: van {soc_start}% naar {soc_end}%, door evni gereconstrueerd uit de "
        "energiecurve omdat het voertuig te weinig meldde (betrouwbaarheid {soc_conf}%).",
    .soc_none =
        "Er is geen laadtoestand voor deze sessie: het voertuig meldde er geen en hij kon niet worden "
        "gereconstrueerd.",
    .connector = "Aansluiting: {facts}.",
    .connector_rating = "nominaal vermogen {max_power} kW",
    .connector_type = "stroomsoort {type}",
    .connector_phases = "fasen: {phases}",
    .connector_unknown =
        "Het nominale vermogen van de aansluiting is niet bekend (geen maxPowerKw in de metadata van "
        "de sessie).",
    .stop_reason = "Stopreden gemeld door de laadpaal: {reason}.",
    .tariff = "Tegen {tariff} is de geleverde energie {cost} waard.",
    .billed = "Gefactureerd bedrag voor de sessie: {billed}.",
    .discrepancy =
        "De nettoverandering van de meter ({delta} kWh) wijkt {disc} kWh af van de geleverde energie, goed "
        "voor {disc_cost}: controleer de factuur voordat die wordt verstuurd.",
    .discrepancy_no_tariff =
        "De nettoverandering van de meter ({delta} kWh) wijkt {disc} kWh af van de geleverde "
        "energie: controleer de factuur voordat die wordt verstuurd.",
    .no_tariff =
        "Voor deze sessie is geen tarief bekend, dus de gevolgen voor de facturering kunnen niet in geld "
        "worden uitgedrukt.",
    .history = "Andere sessies op deze aansluiting in de {days} dagen tot en met deze: {n}.",
    .history_categories = "Daarvan met anomalieën: {list}.",
    .history_clean = "Geen daarvan had een anomalie.",
    .station = "Stationsmodel, dag {day}: {judgement} (score {day_score}).",
    .station_anomalous = "de dag van het station is afwijkend",
    .station_normal = "de dag van het station is normaal",
    .station_energy = "Energie op die dag: {day_energy} kWh, verwacht {expected} kWh.",
    .normal_advice = "Er is geen actie nodig.",
    .pending_advice = "De analyse volgt zodra de sessie genoeg meterwaarden met een energiereeks bevat.",
    .technical_header = "Technische samenvatting",
    .unanswerable =
        "De gegevens van deze sessie geven geen antwoord op die vraag. Ik kan vragen beantwoorden over de "
        "laadtoestand, energie, vermogen, duur, de anomalieën en het oordeel, de geschiedenis van de "
        "aansluiting en de gevolgen voor de facturering.",
    .no_anomalies = "In deze sessie is geen anomalie gevonden.",
    .category_absent = "Deze sessie heeft geen bevinding van het type ‘{name}’.",
    .why_flagged =
        "De sessie is gemarkeerd omdat de hoogste anomaliescore ({score}) de alarmdrempel ({threshold}) "
        "bereikt.",
    .why_not_flagged =
        "De sessie is niet gemarkeerd omdat de hoogste anomaliescore ({score}) onder de alarmdrempel "
        "({threshold}) ligt.",
    .why_clean = "De sessie is niet gemarkeerd omdat de analyse geen anomalie heeft gevonden.",
    .no_power = "De sessie heeft geen vermogenswaarden.",
    .no_duration = "De duur van de sessie is niet bekend.",
    .categories = {{
        {"daling van de energiemeter",
         "de stand van de energiemeter daalde tijdens de sessie, wat een cumulatieve "
         "meter nooit doet",
         "een meterstoring, of meterstanden met twee verschillende bases (per sessie en totaal) die in één sessie door "
         "elkaar staan",
         "vergelijk de meterwaarden met het display van de meter of de ondertekende meetgegevens, controleer of de "
         "laadpaal sessie- en totaalstanden door elkaar gebruikt, en corrigeer de gefactureerde energie vóór "
         "facturering"},
        {"meterreset", "de energiemeter begon opnieuw bij ongeveer nul (of liep over) en steeg daarna weer",
         "een herstart van de laadpaal of de meter, een metervervanging of een overloop van het telwerk",
         "zoek in de logs van de laadpaal naar een herstart of stroomonderbreking op dat moment en factureer de "
         "energie uit beide delen van de meterstanden"},
        {"energiesprong", "de energiemeter sprong verder omhoog dan de aansluiting in die tijd fysiek kan leveren",
         "een verwisseling van Wh en kWh, de totaalstand van de meter gemeld als sessie-energie, of een nulwaarde als "
         "tijdelijke waarde aan het begin van een offline sessie",
         "controleer de eenheid die de laadpaal stuurt, vergelijk de eerste meting met de startwaarde van de "
         "transactie en factureer de sprong niet"},
        {"energiedip",
         "de levering zakte midden in de sessie langere tijd tot bijna nul en hervatte later, terwijl het "
         "aangeboden vermogen niet naar nul ging",
         "een storing van de laadpaal, een openende contactor of een communicatieonderbreking tussen laadpaal en "
         "voertuig",
         "controleer de fout- en statusmeldingen van de laadpaal uit die periode en inspecteer de contactor en de "
         "kabel"},
        {"vastgelopen energiemeter", "de energiemeter bleef gelijk terwijl er vermogen werd geleverd",
         "een bevroren meter, of een meter die zijn stand pas aan het einde van de sessie bijwerkt",
         "vergelijk de meterstand met de vermogenswaarden, controleer de firmware en communicatie van de meter en "
         "controleer de eindstand vóór facturering"},
        {"verschil tussen energie en vermogen",
         "de energie berekend uit de vermogenswaarden en de toename van de "
         "energiemeter verschillen sterk",
         "een eenheidsfout in een van beide reeksen, de kalibratie van de meter of een verkeerde optelling van de "
         "fasen",
         "controleer de eenheden van de vermogens- en energiewaarden, de kalibratie van de meter en of de fasewaarden "
         "juist worden opgeteld"},
        {"vermogen boven de limiet van de aansluiting",
         "het gemeten vermogen lag boven het nominale of aangeboden "
         "vermogen van de aansluiting",
         "een stroomlimiet die het voertuig of de laadpaal niet respecteerde, of onjuiste nominale gegevens van de "
         "aansluiting",
         "controleer het nominale vermogen van de aansluiting in de stationsgegevens en het laadprofiel dat naar de "
         "laadpaal is gestuurd, en inspecteer kabel en stekker op hitteschade"},
        {"daling van de laadtoestand",
         "de laadtoestand die het voertuig meldde, daalde terwijl er energie werd "
         "afgenomen",
         "een verkeerde SoC-bron of een meldfout van het voertuig",
         "controleer welk apparaat de SoC meldt en met welk locatieveld, en behandel de SoC van deze sessie met "
         "voorzichtigheid"},
        {"sprong in de laadtoestand",
         "de laadtoestand veranderde meer dan de geleverde energie kan verklaren, of "
         "sprong naar vol",
         "een herkalibratie van het batterijbeheersysteem van het voertuig, of een totaalwaarde die als SoC is gemeld",
         "vergelijk de verandering van de SoC met de geleverde energie en controleer de metingen aan de kant van het "
         "voertuig"},
        {"sessie zonder energie", "de sessie duurde een tijd maar leverde bijna geen energie",
         "een mislukte start, of een voertuig dat de lading niet accepteerde",
         "controleer de statusmeldingen van de laadpaal op fouten bij de start, of het voertuig klaar was om te laden "
         "en of de sessie überhaupt gefactureerd moet worden"},
        {"ongeldige tijdstempels",
         "sommige metingen hebben tijdstempels die niet kunnen kloppen: ver in het verleden, "
         "in de toekomst, of dubbel met verschillende waarden",
         "een klok van de laadpaal die na een herstart niet is ingesteld, of lokale tijd die als UTC wordt verzonden",
         "controleer de kloksynchronisatie en de tijdzone-instellingen van de laadpaal"},
        {"gat in de gegevens", "tijdens de actieve sessie kwamen er lange tijd geen meterwaarden binnen",
         "een verloren offline wachtrij of een verbindingsprobleem",
         "controleer de verbinding van de laadpaal op dat moment en of gebufferde meterwaarden opnieuw zijn "
         "verzonden"},
        {"bezetting zonder laden", "het voertuig bleef aan het einde van de sessie lang aangesloten zonder te laden",
         "een volle batterij en een auto die aan de laadpaal bleef staan en die blokkeerde",
         "overweeg een blokkeertarief of een bericht aan de bestuurder; er is geen technische storing"},
        {"overlappende sessies",
         "deze sessie overlapt in tijd met een andere sessie op hetzelfde station en dezelfde "
         "aansluiting",
         "een dubbele start na het herstellen van de verbinding, of misbruik van de aansluiting",
         "vergelijk de start- en stopgebeurtenissen van beide sessies, sluit de verouderde af en zorg dat de energie "
         "maar één keer wordt gefactureerd"},
    }},
};

const Phrasebook kFrench{
    .decimal = ',',
    .pct = " %",
    .verdict_anomaly =
        "La session {session} ({where}) est signalée comme anormale : score d'anomalie {score}, "
        "confiance {confidence} %.",
    .verdict_below =
        "La session {session} ({where}) n'est pas signalée : ses constats restent sous le seuil d'alerte "
        "(score d'anomalie {score}, seuil {threshold}).",
    .verdict_normal =
        "La session {session} ({where}) semble normale : aucune anomalie n'a été détectée (confiance "
        "{confidence} %).",
    .verdict_pending =
        "La session {session} ({where}) n'a pas encore été analysée ; il n'y a donc pas de verdict à "
        "expliquer.",
    .where_station = "station {station}",
    .where_connector = "station {station}, point de charge {connector}",
    .incident =
        "Elle est considérée comme un incident : le constat est grave et sûr, ou il se répète sur ce point de "
        "charge.",
    .recurring = "Le même type de constat se répète sur ce point de charge.",
    .findings = "Constats :",
    .anomaly_line =
        "{name} le {date} de {start} à {end} UTC ({duration} min) : gravité {score}, confiance "
        "{confidence} %.",
    .magnitude = "Ampleur du saut ou de la baisse : {magnitude} kWh.",
    .meaning = "Ce que cela signifie : {meaning}.",
    .causes = "Causes probables : {causes}.",
    .checks = "À vérifier ensuite : {checks}.",
    .short_check = "Étape suivante : {checks}.",
    .anomaly_recurrence =
        "Autres sessions sur ce point de charge avec le même constat au cours des {days} derniers "
        "jours : {n}.",
    .period = "La session s'est déroulée du {start_date} {start} au {end_date} {end} UTC ({duration} min).",
    .energy = "Énergie fournie : {energy} kWh.",
    .mean_power = "Puissance moyenne : {mean} kW.",
    .peak_power = "Puissance maximale : {peak} kW.",
    .no_energy = "La session n'a aucun relevé exploitable du compteur d'énergie.",
    .soc_reported = "État de charge : de {soc_start} % à {soc_end} %, tel que transmis par le véhicule.",
    .soc_reconstructed =
        "État de charge : de {soc_start} % à {soc_end} %, reconstitué par evni à partir de la courbe "
        "d'énergie, car le véhicule en a transmis trop peu (confiance {soc_conf} %).",
    .soc_none =
        "Il n'y a pas d'état de charge pour cette session : le véhicule n'en a transmis aucun et il n'a pas pu "
        "être reconstitué.",
    .connector = "Point de charge : {facts}.",
    .connector_rating = "puissance nominale {max_power} kW",
    .connector_type = "type de courant {type}",
    .connector_phases = "phases : {phases}",
    .connector_unknown =
        "La puissance nominale du point de charge n'est pas connue (pas de maxPowerKw dans les "
        "métadonnées de la session).",
    .stop_reason = "Motif d'arrêt transmis par la borne : {reason}.",
    .tariff = "Au tarif de {tariff}, l'énergie fournie vaut {cost}.",
    .billed = "Montant facturé pour la session : {billed}.",
    .discrepancy =
        "La variation nette de l'index ({delta} kWh) diffère de l'énergie fournie de {disc} kWh, soit "
        "{disc_cost} : vérifiez la facture avant son envoi.",
    .discrepancy_no_tariff =
        "La variation nette de l'index ({delta} kWh) diffère de l'énergie fournie de {disc} "
        "kWh : vérifiez la facture avant son envoi.",
    .no_tariff =
        "Aucun tarif n'est connu pour cette session ; l'impact sur la facturation ne peut donc pas être "
        "chiffré.",
    .history = "Autres sessions sur ce point de charge au cours des {days} jours précédant celle-ci : {n}.",
    .history_categories = "Dont avec des anomalies : {list}.",
    .history_clean = "Aucune d'elles n'a présenté d'anomalie.",
    .station = "Modèle de station, jour {day} : {judgement} (score {day_score}).",
    .station_anomalous = "la journée de la station est inhabituelle",
    .station_normal = "la journée de la station est normale",
    .station_energy = "Énergie ce jour-là : {day_energy} kWh, attendue {expected} kWh.",
    .normal_advice = "Aucune action n'est nécessaire.",
    .pending_advice = "Elle sera analysée dès qu'elle contiendra assez de relevés avec une série d'énergie.",
    .technical_header = "Résumé technique",
    .unanswerable =
        "Les données de cette session ne permettent pas de répondre à cette question. Je peux répondre aux "
        "questions sur l'état de charge, l'énergie, la puissance, la durée, les anomalies et le verdict, "
        "l'historique du point de charge et l'impact sur la facturation.",
    .no_anomalies = "Aucune anomalie n'a été détectée dans cette session.",
    .category_absent = "Cette session ne présente aucun constat du type « {name} ».",
    .why_flagged =
        "La session est signalée parce que son score d'anomalie le plus élevé ({score}) atteint le seuil "
        "d'alerte ({threshold}).",
    .why_not_flagged =
        "La session n'est pas signalée parce que son score d'anomalie le plus élevé ({score}) est "
        "inférieur au seuil d'alerte ({threshold}).",
    .why_clean = "La session n'est pas signalée parce que l'analyse n'a détecté aucune anomalie.",
    .no_power = "La session n'a aucun relevé de puissance.",
    .no_duration = "La durée de la session n'est pas connue.",
    .categories = {{
        {"baisse du compteur d'énergie",
         "l'index du compteur d'énergie a baissé pendant la session, ce qu'un "
         "compteur cumulatif ne fait jamais",
         "un défaut du compteur, ou des relevés de deux bases différentes (relative à la session et totale) mélangés "
         "dans une même session",
         "comparez les relevés avec l'affichage du compteur ou les données de mesure signées, vérifiez si la borne "
         "mélange index de session et index total, et corrigez l'énergie facturée avant d'émettre la facture"},
        {"remise à zéro du compteur",
         "le compteur d'énergie est reparti de presque zéro (ou a débordé) puis a de "
         "nouveau augmenté",
         "un redémarrage de la borne ou du compteur, un remplacement du compteur ou un débordement de l'index",
         "cherchez dans les journaux de la borne un redémarrage ou une coupure de courant à ce moment-là, et facturez "
         "l'énergie des deux parties de l'index"},
        {"saut d'énergie",
         "l'index du compteur a fait un saut plus grand que ce que le point de charge peut "
         "physiquement fournir dans ce laps de temps",
         "une confusion entre Wh et kWh, l'index total du compteur transmis comme énergie de session, ou une valeur "
         "zéro provisoire au début d'une session hors ligne",
         "vérifiez l'unité envoyée par la borne, comparez le premier relevé avec la valeur de début de la transaction "
         "et ne facturez pas ce saut"},
        {"creux d'énergie",
         "la fourniture est tombée presque à zéro pendant une période prolongée au milieu de la "
         "session puis a repris, sans que la puissance offerte tombe à zéro",
         "une panne de la borne, l'ouverture d'un contacteur ou une coupure de communication entre la borne et le "
         "véhicule",
         "consultez les messages d'erreur et d'état de la borne à ce moment-là et inspectez le contacteur et le "
         "câble"},
        {"compteur d'énergie bloqué",
         "l'index du compteur d'énergie est resté figé alors que de la puissance était "
         "fournie",
         "un compteur gelé, ou un compteur qui ne met à jour son index qu'à la fin de la session",
         "comparez l'index avec les relevés de puissance, vérifiez le micrologiciel et la communication du compteur, "
         "et contrôlez le relevé final avant la facturation"},
        {"écart entre énergie et puissance",
         "l'énergie calculée à partir des relevés de puissance et la hausse de "
         "l'index d'énergie diffèrent nettement",
         "une erreur d'unité dans l'une des deux séries, l'étalonnage du compteur ou une mauvaise somme des phases",
         "vérifiez les unités des relevés de puissance et d'énergie, l'étalonnage du compteur et la bonne addition "
         "des valeurs par phase"},
        {"puissance au-delà de la limite du point de charge",
         "la puissance mesurée a dépassé la puissance nominale ou "
         "offerte du point de charge",
         "une limite de courant que le véhicule ou la borne n'a pas respectée, ou des données nominales erronées pour "
         "le point de charge",
         "vérifiez la puissance nominale du point de charge dans les données de la station et le profil de charge "
         "envoyé à la borne, et inspectez le câble et la prise à la recherche de dégâts dus à la chaleur"},
        {"baisse de l'état de charge",
         "l'état de charge transmis par le véhicule a baissé alors que de l'énergie "
         "était importée",
         "une mauvaise source de SoC ou une erreur de transmission du véhicule",
         "vérifiez quel appareil transmet le SoC et avec quel champ de localisation, et considérez le SoC de cette "
         "session avec prudence"},
        {"saut de l'état de charge",
         "l'état de charge a varié plus que l'énergie fournie ne peut l'expliquer, ou a "
         "sauté à la pleine charge",
         "un recalibrage du système de gestion de la batterie du véhicule, ou une valeur totale transmise comme SoC",
         "comparez la variation du SoC avec l'énergie fournie et vérifiez les relevés côté véhicule"},
        {"session sans énergie", "la session a duré un certain temps mais n'a fourni presque aucune énergie",
         "un démarrage raté, ou un véhicule qui n'a pas accepté la charge",
         "consultez les messages d'état de la borne pour repérer des erreurs au démarrage, vérifiez si le véhicule "
         "était prêt à charger et si la session doit être facturée"},
        {"horodatages invalides",
         "certains relevés ont des horodatages impossibles : très anciens, dans le futur, ou "
         "en double avec des valeurs différentes",
         "une horloge de borne non réglée après un redémarrage, ou l'heure locale envoyée comme UTC",
         "vérifiez la synchronisation de l'horloge de la borne et ses réglages de fuseau horaire"},
        {"trou dans les données",
         "aucun relevé n'est arrivé pendant une longue période alors que la session était "
         "active",
         "une file d'attente hors ligne perdue ou un problème de connectivité",
         "vérifiez la connectivité de la borne à ce moment-là et si les relevés en attente ont été renvoyés"},
        {"occupation sans charge", "le véhicule est resté branché longtemps à la fin de la session sans charger",
         "une batterie pleine et une voiture laissée branchée qui bloque la borne",
         "envisagez des frais d'occupation ou un message au conducteur ; cela n'indique aucun défaut technique"},
        {"chevauchement de sessions",
         "cette session chevauche dans le temps une autre session sur la même station et "
         "le même point de charge",
         "un démarrage en double après une reconnexion, ou un usage abusif du point de charge",
         "comparez les événements de début et de fin des deux sessions, clôturez celle qui est obsolète et "
         "assurez-vous que l'énergie n'est facturée qu'une seule fois"},
    }},
};

const Phrasebook kSpanish{
    .decimal = ',',
    .pct = " %",
    .verdict_anomaly =
        "La sesión {session} ({where}) está marcada como anómala: puntuación de anomalía {score}, "
        "confianza {confidence} %.",
    .verdict_below =
        "La sesión {session} ({where}) no está marcada: sus hallazgos quedan por debajo del umbral de "
        "alerta (puntuación de anomalía {score}, umbral {threshold}).",
    .verdict_normal =
        "La sesión {session} ({where}) parece normal: no se encontró ninguna anomalía (confianza "
        "{confidence} %).",
    .verdict_pending = "La sesión {session} ({where}) aún no se ha analizado, así que no hay veredicto que explicar.",
    .where_station = "estación {station}",
    .where_connector = "estación {station}, conector {connector}",
    .incident = "Se considera un incidente: el hallazgo es grave y seguro, o se repite en este conector.",
    .recurring = "El mismo tipo de hallazgo se repite en este conector.",
    .findings = "Hallazgos:",
    .anomaly_line =
        "{name} el {date} de {start} a {end} UTC ({duration} min): gravedad {score}, confianza "
        "{confidence} %.",
    .magnitude = "Tamaño del salto o descenso: {magnitude} kWh.",
    .meaning = "Qué significa: {meaning}.",
    .causes = "Causas probables: {causes}.",
    .checks = "Qué comprobar a continuación: {checks}.",
    .short_check = "Siguiente paso: {checks}.",
    .anomaly_recurrence = "Otras sesiones en este conector con el mismo hallazgo en los últimos {days} días: {n}.",
    .period = "La sesión duró desde el {start_date} {start} hasta el {end_date} {end} UTC ({duration} min).",
    .energy = "Energía entregada: {energy} kWh.",
    .mean_power = "Potencia media: {mean} kW.",
    .peak_power = "Potencia máxima: {peak} kW.",
    .no_energy = "La sesión no tiene lecturas utilizables del contador de energía.",
    .soc_reported = "Estado de carga: del {soc_start} % al {soc_end} %, según lo informado por el vehículo.",
    .soc_reconstructed =
        "Estado de carga: del {soc_start} % al {soc_end} %, reconstruido por evni a partir de la "
        "curva de energía porque el vehículo informó demasiado poco (confianza {soc_conf} %).",
    .soc_none = "No hay estado de carga para esta sesión: el vehículo no informó ninguno y no se pudo reconstruir.",
    .connector = "Conector: {facts}.",
    .connector_rating = "potencia nominal {max_power} kW",
    .connector_type = "tipo de corriente {type}",
    .connector_phases = "fases: {phases}",
    .connector_unknown =
        "No se conoce la potencia nominal del conector (no hay maxPowerKw en los metadatos de la "
        "sesión).",
    .stop_reason = "Motivo de parada informado por el cargador: {reason}.",
    .tariff = "Con una tarifa de {tariff}, la energía entregada vale {cost}.",
    .billed = "Importe facturado por la sesión: {billed}.",
    .discrepancy =
        "La variación neta del contador ({delta} kWh) difiere de la energía entregada en {disc} kWh, "
        "equivalentes a {disc_cost}: revise la factura antes de enviarla.",
    .discrepancy_no_tariff =
        "La variación neta del contador ({delta} kWh) difiere de la energía entregada en {disc} "
        "kWh: revise la factura antes de enviarla.",
    .no_tariff =
        "No se conoce ninguna tarifa para esta sesión, así que el impacto en la facturación no puede "
        "expresarse en dinero.",
    .history = "Otras sesiones en este conector en los {days} días hasta esta: {n}.",
    .history_categories = "De ellas, con anomalías: {list}.",
    .history_clean = "Ninguna de ellas tuvo anomalías.",
    .station = "Modelo de estación, día {day}: {judgement} (puntuación {day_score}).",
    .station_anomalous = "el día de la estación es inusual",
    .station_normal = "el día de la estación es normal",
    .station_energy = "Energía ese día: {day_energy} kWh, esperada {expected} kWh.",
    .normal_advice = "No hace falta hacer nada.",
    .pending_advice = "Se analizará cuando tenga suficientes valores de medición con una serie de energía.",
    .technical_header = "Resumen técnico",
    .unanswerable =
        "Los datos de esta sesión no responden a esa pregunta. Puedo responder preguntas sobre el estado "
        "de carga, la energía, la potencia, la duración, las anomalías y el veredicto, el historial del "
        "conector y el impacto en la facturación.",
    .no_anomalies = "No se encontró ninguna anomalía en esta sesión.",
    .category_absent = "Esta sesión no tiene ningún hallazgo del tipo «{name}».",
    .why_flagged =
        "La sesión está marcada porque su puntuación de anomalía más alta ({score}) alcanza el umbral de "
        "alerta ({threshold}).",
    .why_not_flagged =
        "La sesión no está marcada porque su puntuación de anomalía más alta ({score}) está por debajo "
        "del umbral de alerta ({threshold}).",
    .why_clean = "La sesión no está marcada porque el análisis no encontró ninguna anomalía.",
    .no_power = "La sesión no tiene lecturas de potencia.",
    .no_duration = "No se conoce la duración de la sesión.",
    .categories = {{
        {"descenso del contador de energía",
         "la lectura del contador de energía bajó durante la sesión, algo que un "
         "contador acumulativo nunca hace",
         "una avería del contador, o lecturas de dos bases distintas (de la sesión y total) mezcladas en la misma "
         "sesión",
         "compare los valores con la pantalla del contador o con los datos de medición firmados, compruebe si el "
         "cargador mezcla lecturas de sesión y totales, y corrija la energía facturada antes de emitir la factura"},
        {"reinicio del contador",
         "el contador de energía volvió a empezar cerca de cero (o se desbordó) y luego "
         "siguió subiendo",
         "un reinicio del cargador o del contador, una sustitución del contador o un desbordamiento del registro",
         "busque en los registros del cargador un reinicio o un corte de corriente en ese momento y facture la "
         "energía de ambos tramos del contador"},
        {"salto de energía",
         "el contador de energía subió más de lo que el conector puede entregar físicamente en ese "
         "tiempo",
         "una confusión entre Wh y kWh, el total acumulado del contador enviado como energía de la sesión, o un cero "
         "provisional al inicio de una sesión sin conexión",
         "compruebe la unidad que envía el cargador, compare la primera lectura con el valor inicial de la "
         "transacción y no facture el salto"},
        {"caída de energía",
         "la entrega bajó casi a cero durante un periodo prolongado en mitad de la sesión y después "
         "se reanudó, aunque la potencia ofrecida no llegó a cero",
         "una avería del cargador, la apertura de un contactor o un corte de comunicación entre el cargador y el "
         "vehículo",
         "revise los mensajes de error y de estado del cargador de ese momento e inspeccione el contactor y el cable"},
        {"contador de energía bloqueado", "el contador de energía se quedó fijo mientras se entregaba potencia",
         "un contador congelado, o un contador que solo actualiza su lectura al final de la sesión",
         "compare la lectura del contador con los valores de potencia, revise el firmware y la comunicación del "
         "contador y verifique la lectura final antes de facturar"},
        {"discrepancia entre energía y potencia",
         "la energía calculada a partir de la potencia y el aumento del "
         "contador de energía difieren claramente",
         "un error de unidades en una de las dos series, la calibración del contador o una suma incorrecta de las "
         "fases",
         "compruebe las unidades de los valores de potencia y energía, la calibración del contador y si los valores "
         "por fase se suman correctamente"},
        {"potencia por encima del límite del conector",
         "la potencia medida superó la potencia nominal u ofrecida del "
         "conector",
         "un límite de corriente que el vehículo o el cargador no respetó, o datos nominales erróneos del conector",
         "verifique la potencia nominal del conector en los datos de la estación y el perfil de carga enviado al "
         "cargador, e inspeccione el cable y el enchufe por si hay daños por calor"},
        {"descenso del estado de carga",
         "el estado de carga que informaba el vehículo bajó mientras se importaba "
         "energía",
         "una fuente de SoC equivocada o un error de comunicación del vehículo",
         "compruebe qué dispositivo informa el SoC y con qué campo de ubicación, y trate el SoC de esta sesión con "
         "cautela"},
        {"salto del estado de carga",
         "el estado de carga cambió más de lo que explica la energía entregada, o saltó a "
         "lleno",
         "una recalibración del sistema de gestión de la batería del vehículo, o un valor total enviado como SoC",
         "compare el cambio del SoC con la energía entregada y revise las lecturas del lado del vehículo"},
        {"sesión sin energía", "la sesión duró un tiempo pero apenas entregó energía",
         "un inicio fallido, o un vehículo que no aceptó la carga",
         "revise los mensajes de estado del cargador en busca de errores al inicio, si el vehículo estaba listo para "
         "cargar y si la sesión debe facturarse"},
        {"marcas de tiempo no válidas",
         "algunas lecturas tienen marcas de tiempo imposibles: muy antiguas, en el "
         "futuro o duplicadas con valores distintos",
         "un reloj del cargador sin ajustar tras un reinicio, o la hora local enviada como UTC",
         "compruebe la sincronización del reloj del cargador y su configuración de zona horaria"},
        {"hueco en los datos",
         "no llegaron valores de medición durante un largo periodo mientras la sesión estaba "
         "activa",
         "una cola sin conexión perdida o un problema de conectividad",
         "compruebe la conectividad del cargador en ese momento y si los valores en cola se reenviaron"},
        {"ocupación sin carga", "el vehículo siguió conectado mucho tiempo al final de la sesión sin cargar",
         "una batería llena y un coche que se quedó enchufado bloqueando el cargador",
         "considere una tarifa por ocupación o un aviso al conductor; no implica ninguna avería técnica"},
        {"solapamiento de sesiones",
         "esta sesión se solapa en el tiempo con otra sesión en la misma estación y el "
         "mismo conector",
         "un inicio duplicado tras una reconexión, o un uso indebido del conector",
         "compare los eventos de inicio y fin de ambas sesiones, cierre la obsoleta y asegúrese de que la energía se "
         "facture una sola vez"},
    }},
};

}  // namespace

const Phrasebook& PhrasebookFor(std::size_t lang_index) {
    static const Phrasebook* const kBooks[] = {&kEnglish, &kPolish, &kGerman, &kDutch, &kFrench, &kSpanish};
    return *kBooks[lang_index < 6 ? lang_index : 0];
}

}  // namespace evni::api::explain
