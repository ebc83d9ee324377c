"""The fixed words of the letter templates, per language (Spanish first, English second).

Everything a letter prints that is not data lives here: headings, labels and the legal
sentences of each kind, as format strings the templates fill in (escaped) with the context's
values. An unknown language falls back to Spanish.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_LANGUAGE = "es"

# Keys are grouped by where they print: the shared layout, the tables and payment block of the
# collection letters, then one group per kind (prefixed with the kind). Sentences with
# ``{placeholders}`` are filled in by the templates' ``fill`` filter, which escapes the values.
_ES: dict[str, str] = {
    # --- layout -------------------------------------------------------------------------------
    "nif": "NIF",
    "to": "Destinatario",
    "reference": "Referencia",
    "phone": "Tel.",
    "email": "Correo electrónico",
    "page": "Página",
    "closing": "Atentamente,",
    # Who the letter is for, said without guessing: a company is "Muy señores nuestros", a
    # person with a form of address by it and their surnames, one without it in full.
    "greeting": "Estimado/a {name}:",
    "greeting_sr": "Estimado Sr. {surnames}:",
    "greeting_sra": "Estimada Sra. {surnames}:",
    "greeting_company": "Muy señores nuestros:",
    "signed_by": "Fdo.: {name}",
    "signed_for": "En nombre de {creditor}",
    "copy_banner": "COPIA PARA EL AVALISTA",
    "copy_text": (
        "Le enviamos esta copia como avalista (fiador) de {debtor}, a quien va dirigida la "
        "carta siguiente. Se la remitimos para su conocimiento y a los efectos de la garantía "
        "que usted prestó. Solo figuran en ella las cantidades del arrendamiento que usted "
        "garantiza."
    ),
    "debtor": "Deudor",
    "lease": "Arrendamiento",
    "seal": "Protegido por Amparo",
    "seal_verify": "Verifique este sello en",
    # --- tables -------------------------------------------------------------------------------
    "date": "Fecha",
    "concept": "Concepto",
    "number": "N.º",
    "due_date": "Vencimiento",
    "days_late": "Días de retraso",
    "amount": "Importe",
    "outstanding": "Pendiente",
    "principal": "Principal pendiente",
    "interest": "Intereses de demora",
    "compensation": "Compensación por costes de cobro",
    "total": "Total pendiente",
    "total_due": "Total a pagar",
    "interest_title": "Intereses de demora",
    "interest_from": "Desde",
    "interest_to": "Hasta",
    "interest_days": "Días",
    "interest_base": "Base",
    "interest_rate": "Tipo anual",
    "interest_business": (
        "Conforme al artículo 7 de la Ley 3/2004, de 29 de diciembre, de lucha contra la "
        "morosidad en las operaciones comerciales, las cantidades vencidas devengan de forma "
        "automática, desde el día siguiente a su vencimiento y sin necesidad de aviso, el "
        "interés de demora: el tipo del Banco Central Europeo en su más reciente operación "
        "principal de financiación más ocho puntos porcentuales, fijado por semestres y "
        "publicado en el Boletín Oficial del Estado."
    ),
    "interest_consumer": (
        "Conforme a los artículos 1100 y 1108 del Código Civil, desde que se le reclama el pago "
        "{from_date} la cantidad adeudada devenga el interés legal del dinero que fija cada año "
        "la Ley de Presupuestos Generales del Estado."
    ),
    "interest_from_date": "(el {date})",
    "interest_missing": (
        "Alguno de los tipos aplicables aún no se ha publicado; los intereses de ese periodo se "
        "calcularán cuando lo esté."
    ),
    "compensation_text": (
        "Además, conforme al artículo 8 de la Ley 3/2004, tenemos derecho a cobrarle, sin "
        "necesidad de petición expresa, una cantidad fija de 40 € por cada factura impagada en "
        "concepto de costes de cobro: {count} × 40 € = {amount}."
    ),
    # --- payment block ------------------------------------------------------------------------
    "how_to_pay": "Cómo pagar",
    "pay_transfer": "Por transferencia a la cuenta {iban} a nombre de {beneficiary}, indicando "
    "como concepto «{remittance}».",
    "pay_qr": "Escanee este código con la aplicación de su banco: la transferencia se rellena "
    "sola.",
    "pay_portal": "En su página de pago tiene el detalle de lo que adeuda y los datos para "
    "pagarlo:",
    "pay_portal_qr": "Su página de pago",
    "contact": "Para cualquier duda puede contactarnos en {contact}.",
    "deadline": (
        "Le rogamos que realice el pago en el plazo de {days} días hábiles, es decir, a más "
        "tardar el {deadline}."
    ),
    "deadline_date": "Le rogamos que realice el pago a más tardar el {deadline}.",
    "deadline_calendar": "Días hábiles según {calendar}.",
    "credit_file": (
        "Le advertimos de que, si no paga en el plazo indicado, los datos de esta deuda, que "
        "es cierta, vencida y exigible, podrán ser comunicados al sistema común de información "
        "crediticia {file}, conforme al artículo 20 de la Ley Orgánica 3/2018, de Protección "
        "de Datos Personales y garantía de los derechos digitales. No se comunicará ninguna "
        "cantidad que usted haya discutido ni deudas de más de cinco años."
    ),
    # --- what comes next ----------------------------------------------------------------------
    "next_claim_2": "Si no recibimos el pago en ese plazo, le enviaremos una segunda reclamación.",
    "next_formal_demand": (
        "Si no recibimos el pago en ese plazo, le enviaremos un requerimiento formal de pago, "
        "con los intereses de demora y demás cantidades que procedan."
    ),
    "next_certified_demand": (
        "Si no recibimos el pago en ese plazo, le remitiremos un requerimiento fehaciente por "
        "carta certificada con acuse de recibo y certificación de contenido."
    ),
    # --- the earlier letters, named with their dates (only when some were sent) ---------------
    "earlier_letters": (
        "Le recordamos que ya le reclamamos estas cantidades, sin que nos conste el pago, en "
        "nuestras cartas anteriores: {letters}."
    ),
    "earlier_letter": "{title} del {date}",
    "rent_of": "Renta de {month}",
    "next_escalation": (
        "Si no recibimos el pago en ese plazo, trasladaremos el asunto a nuestros abogados para "
        "reclamarlo judicialmente (procedimiento monitorio, artículos 812 a 818 de la Ley de "
        "Enjuiciamiento Civil), con el consiguiente aumento de gastos."
    ),
    "next_escalation_lease": (
        "Si no recibimos el pago en ese plazo, trasladaremos el asunto a nuestros abogados para "
        "reclamarlo judicialmente e instar, en su caso, el desahucio por falta de pago "
        "(artículo 250.1.1.º de la Ley de Enjuiciamiento Civil), con el consiguiente aumento de "
        "gastos."
    ),
    # --- reminder -----------------------------------------------------------------------------
    "reminder_title": "Recordatorio de pago",
    "reminder_intro": (
        "Quizá se le haya pasado: según nuestros registros, las cantidades siguientes están "
        "pendientes de pago. Si ya las ha pagado, le pedimos disculpas y le rogamos que no "
        "tenga en cuenta esta carta."
    ),
    "reminder_ask": (
        "Si hay algún motivo por el que no ha podido pagar, o no está de acuerdo con algún "
        "importe, cuéntenoslo: preferimos saberlo y buscar juntos una solución. Si le resulta "
        "más cómodo, podemos acordar un pago a plazos."
    ),
    "reminder_thanks": "Muchas gracias por su atención.",
    # --- claim 1 ------------------------------------------------------------------------------
    "claim_1_title": "Reclamación de pago",
    "claim_1_intro": (
        "Le escribimos de nuevo porque, pese a nuestro recordatorio anterior, no nos consta el "
        "pago de las cantidades siguientes, ya vencidas."
    ),
    "claim_1_intro_first": (
        "Le escribimos porque no nos consta el pago de las cantidades siguientes, ya vencidas."
    ),
    "claim_1_ask": (
        "Si tiene dificultades para pagar, póngase en contacto con nosotros: podemos estudiar "
        "un plan de pagos. Si cree que alguna cantidad no es correcta, indíquenos el motivo."
    ),
    # --- claim 2 ------------------------------------------------------------------------------
    "claim_2_title": "Segunda reclamación de pago",
    "claim_2_intro": (
        "A pesar de nuestras comunicaciones anteriores, no hemos recibido el pago de las "
        "cantidades siguientes ni respuesta por su parte. Le reclamamos formalmente su pago."
    ),
    "claim_2_intro_first": (
        "No nos consta el pago de las cantidades siguientes, ya vencidas. Le reclamamos "
        "formalmente su pago."
    ),
    "claim_2_ask": (
        "Es la última ocasión de resolver este asunto de forma amistosa antes de un "
        "requerimiento formal. Si desea acordar un plan de pagos, póngase en contacto con "
        "nosotros dentro del plazo."
    ),
    # --- formal demand ------------------------------------------------------------------------
    "formal_demand_title": "Requerimiento de pago",
    "formal_demand_intro": (
        "Por medio del presente le requerimos formalmente para que pague la cantidad total de "
        "{total}, que adeuda a {creditor} por los conceptos que se detallan a continuación, "
        "vencidos y no pagados."
    ),
    "formal_demand_charges": "Cantidades vencidas",
    "formal_demand_summary": "Resumen de la deuda",
    "formal_demand_rights": (
        "Este requerimiento se hace sin perjuicio de las demás acciones que nos correspondan. "
        "Los intereses siguen devengándose hasta el pago completo."
    ),
    # --- certified demand ---------------------------------------------------------------------
    "certified_demand_title": "Requerimiento fehaciente de pago",
    # How the letter travels, said as it is: Amparo issues the content certificate itself and
    # the tray sends the letter as certified mail; "burofax" is Correos' service, not this.
    "certified_demand_banner": (
        "Carta certificada con acuse de recibo y certificación de contenido emitida por Amparo"
    ),
    "certified_demand_banner_postal": (
        "Carta por correo postal con certificación de contenido emitida por Amparo"
    ),
    "certified_demand_banner_email": (
        "Enviada por correo electrónico con certificación de contenido emitida por Amparo"
    ),
    "certified_demand_intro": (
        "Por medio de la presente le REQUERIMOS de forma fehaciente para que pague la "
        "cantidad total de {total}, que adeuda a {creditor} por los conceptos que se detallan a "
        "continuación, vencidos y no pagados."
    ),
    "certified_demand_prescription": (
        "El presente requerimiento interrumpe la prescripción de las acciones para reclamar "
        "estas cantidades, conforme al artículo 1973 del Código Civil."
    ),
    "certified_demand_enervation": (
        "Le advertimos expresamente de que, conforme al artículo 22.4 de la Ley de "
        "Enjuiciamiento Civil, si no paga la totalidad de las rentas y cantidades debidas en el "
        "plazo de treinta días desde la recepción de este requerimiento, no podrá enervar la "
        "acción de desahucio pagando después de presentada la demanda."
    ),
    "certified_demand_masc": (
        "Este requerimiento constituye, además, nuestro intento de negociación previa a la vía "
        "judicial como medio adecuado de solución de controversias, conforme a la Ley Orgánica "
        "1/2025, de 2 de enero. Le invitamos a contactarnos dentro del plazo indicado para "
        "alcanzar un acuerdo, incluido un plan de pagos. Transcurrido el plazo sin pago ni "
        "acuerdo, se entenderá intentada sin éxito la vía extrajudicial."
    ),
    # --- content certificate ------------------------------------------------------------------
    "certificate_title": "Certificado de contenido",
    "certificate_intro": (
        "Este certificado, emitido por Amparo, identifica el documento que lo precede, tal "
        "como fue generado y enviado."
    ),
    "certificate_sender": "Remitente",
    "certificate_recipient": "Destinatario",
    "certificate_pages": "Páginas del documento",
    "certificate_sha256": "Huella SHA-256 del documento",
    "certificate_utc": "Generado (UTC)",
    "certificate_madrid": "Generado (hora de Madrid)",
    "certificate_archived": (
        "El documento se archiva sin alteración alguna: cualquier cambio, por mínimo que sea, "
        "daría una huella SHA-256 distinta."
    ),
    # --- statement ----------------------------------------------------------------------------
    "statement_title": "Extracto de cuenta",
    # --- rent update (LAU art. 18) ------------------------------------------------------------
    "rent_update_title": "Notificación de actualización de la renta",
    "rent_update_intro": (
        "Conforme a lo pactado en el contrato de arrendamiento de la vivienda sita en {address} "
        "y al artículo 18 de la Ley 29/1994, de Arrendamientos Urbanos, le notificamos la "
        "actualización anual de la renta."
    ),
    "rent_update_old": "Renta actual",
    "rent_update_index": "Índice aplicado",
    "rent_update_pct": "Variación aplicada",
    "rent_update_new": "Nueva renta",
    "rent_update_effective": "Aplicable desde",
    "rent_update_index_value": "{index} de {month}",
    "rent_update_fixed": "Porcentaje pactado en el contrato",
    "rent_update_law": (
        "La renta actualizada será exigible a partir del mes siguiente a esta notificación "
        "(artículo 18.3 de la Ley de Arrendamientos Urbanos). Si lo desea, le facilitaremos la "
        "certificación del Instituto Nacional de Estadística del índice aplicado."
    ),
    # --- deposit settlement (LAU art. 36) -----------------------------------------------------
    "deposit_settlement_title": "Liquidación de la fianza",
    "deposit_settlement_intro": (
        "Finalizado el arrendamiento de la vivienda sita en {address} y recibidas las llaves "
        "el {keys}, le remitimos la liquidación de la fianza conforme al artículo 36 de la Ley "
        "29/1994, de Arrendamientos Urbanos."
    ),
    "deposit": "Fianza entregada",
    "deductions": "Deducciones",
    "no_deductions": "Sin deducciones",
    "deposit_interest": "Intereses",
    "to_return": "Importe a devolver",
    "deposit_settlement_pay": "Le abonaremos {amount} a más tardar el {deadline}.",
    "deposit_settlement_law": (
        "Conforme al artículo 36.4 de la Ley de Arrendamientos Urbanos, el saldo de la fianza "
        "que deba restituirse devenga el interés legal transcurrido un mes desde la entrega de "
        "las llaves sin que se haya devuelto."
    ),
}

_EN: dict[str, str] = {
    # --- layout -------------------------------------------------------------------------------
    "nif": "Tax ID",
    "to": "To",
    "reference": "Reference",
    "phone": "Tel.",
    "email": "Email",
    "page": "Page",
    "closing": "Yours faithfully,",
    "greeting": "Dear {name},",
    "greeting_sr": "Dear Mr {surnames},",
    "greeting_sra": "Dear Ms {surnames},",
    "greeting_company": "Dear Sir or Madam,",
    "signed_by": "Signed: {name}",
    "signed_for": "On behalf of {creditor}",
    "copy_banner": "COPY FOR THE GUARANTOR",
    "copy_text": (
        "We send you this copy as guarantor of {debtor}, to whom the following letter is "
        "addressed, for your information and for the purposes of the guarantee you gave. It "
        "lists only the amounts of the lease you guarantee."
    ),
    "debtor": "Debtor",
    "lease": "Lease",
    "seal": "Protected by Amparo",
    "seal_verify": "Verify this seal at",
    # --- tables -------------------------------------------------------------------------------
    "date": "Date",
    "concept": "Description",
    "number": "No.",
    "due_date": "Due date",
    "days_late": "Days late",
    "amount": "Amount",
    "outstanding": "Outstanding",
    "principal": "Principal outstanding",
    "interest": "Late-payment interest",
    "compensation": "Compensation for recovery costs",
    "total": "Total outstanding",
    "total_due": "Total payable",
    "interest_title": "Late-payment interest",
    "interest_from": "From",
    "interest_to": "To",
    "interest_days": "Days",
    "interest_base": "Principal",
    "interest_rate": "Annual rate",
    "interest_business": (
        "Under article 7 of Spanish Law 3/2004 of 29 December on combating late payment in "
        "commercial transactions, overdue amounts bear late-payment interest automatically, "
        "from the day after they fall due and without notice: the European Central Bank's rate "
        "for its most recent main refinancing operation plus eight percentage points, set for "
        "each half-year and published in the Official State Gazette (BOE)."
    ),
    "interest_consumer": (
        "Under articles 1100 and 1108 of the Spanish Civil Code, from the moment payment is "
        "demanded {from_date} the amount owed bears the statutory interest rate (interés legal "
        "del dinero) set each year by the State Budget Act."
    ),
    "interest_from_date": "(on {date})",
    "interest_missing": (
        "Some of the applicable rates have not been published yet; interest for that period "
        "will be calculated once they are."
    ),
    "compensation_text": (
        "In addition, under article 8 of Law 3/2004 we are entitled, without having to ask, to "
        "a fixed sum of EUR 40 for each unpaid invoice as compensation for recovery costs: "
        "{count} × 40 € = {amount}."
    ),
    # --- payment block ------------------------------------------------------------------------
    "how_to_pay": "How to pay",
    "pay_transfer": "By bank transfer to account {iban} in the name of {beneficiary}, quoting "
    "the reference “{remittance}”.",
    "pay_qr": "Scan this code with your banking app: the transfer fills itself in.",
    "pay_portal": "Your payment page shows what you owe and how to pay it:",
    "pay_portal_qr": "Your payment page",
    "contact": "If you have any questions, please contact us at {contact}.",
    "deadline": ("Please pay within {days} business days, that is, by {deadline} at the latest."),
    "deadline_date": "Please pay by {deadline} at the latest.",
    "deadline_calendar": "Business days according to {calendar}.",
    "credit_file": (
        "Please note that if you do not pay within this period, the details of this debt, "
        "which is certain, overdue and payable, may be reported to the credit information "
        "file {file}, under article 20 of Spanish Organic Law 3/2018 on Personal Data "
        "Protection (LOPDGDD). No amount you have disputed and no debt older than five years "
        "will be reported."
    ),
    # --- what comes next ----------------------------------------------------------------------
    "next_claim_2": "If we do not receive payment within this period, we will send you a "
    "second claim.",
    "next_formal_demand": (
        "If we do not receive payment within this period, we will send you a formal demand "
        "for payment, including late-payment interest and any other amounts due."
    ),
    "next_certified_demand": (
        "If we do not receive payment within this period, we will send you a certified demand "
        "by certified mail, with acknowledgement of receipt and certification of content."
    ),
    # --- the earlier letters, named with their dates (only when some were sent) ---------------
    "earlier_letters": (
        "We remind you that we have already claimed these amounts, without receiving payment, "
        "in our earlier letters: {letters}."
    ),
    "earlier_letter": "{title} of {date}",
    "rent_of": "Rent for {month}",
    "next_escalation": (
        "If we do not receive payment within this period, we will instruct our lawyers to "
        "claim it in court (order for payment procedure, articles 812 to 818 of the Spanish "
        "Civil Procedure Act), which will increase the costs."
    ),
    "next_escalation_lease": (
        "If we do not receive payment within this period, we will instruct our lawyers to "
        "claim it in court and, where appropriate, to seek eviction for non-payment (article "
        "250.1.1 of the Spanish Civil Procedure Act), which will increase the costs."
    ),
    # --- reminder -----------------------------------------------------------------------------
    "reminder_title": "Payment reminder",
    "reminder_intro": (
        "Perhaps this slipped your mind: according to our records, the following amounts are "
        "still unpaid. If you have already paid them, please accept our apologies and "
        "disregard this letter."
    ),
    "reminder_ask": (
        "If there is a reason you have not been able to pay, or you disagree with an amount, "
        "please tell us: we would rather know and find a solution together. If it helps, we "
        "can agree on payment by instalments."
    ),
    "reminder_thanks": "Thank you for your attention.",
    # --- claim 1 ------------------------------------------------------------------------------
    "claim_1_title": "Request for payment",
    "claim_1_intro": (
        "We are writing to you again because, despite our earlier reminder, we have not "
        "received payment of the following overdue amounts."
    ),
    "claim_1_intro_first": (
        "We are writing to you because we have not received payment of the following overdue "
        "amounts."
    ),
    "claim_1_ask": (
        "If you are having difficulty paying, please contact us: we can consider a payment "
        "plan. If you believe an amount is wrong, please tell us why."
    ),
    # --- claim 2 ------------------------------------------------------------------------------
    "claim_2_title": "Second request for payment",
    "claim_2_intro": (
        "Despite our previous letters, we have received neither payment of the following "
        "amounts nor a reply from you. We hereby formally request payment."
    ),
    "claim_2_intro_first": (
        "We have not received payment of the following overdue amounts. We hereby formally "
        "request payment."
    ),
    "claim_2_ask": (
        "This is the last opportunity to settle this matter amicably before a formal demand. "
        "If you wish to agree on a payment plan, please contact us within the period below."
    ),
    # --- formal demand ------------------------------------------------------------------------
    "formal_demand_title": "Formal demand for payment",
    "formal_demand_intro": (
        "We hereby formally demand that you pay the total sum of {total}, owed to {creditor} "
        "for the items listed below, which are overdue and remain unpaid."
    ),
    "formal_demand_charges": "Overdue amounts",
    "formal_demand_summary": "Summary of the debt",
    "formal_demand_rights": (
        "This demand is without prejudice to any other action available to us. Interest "
        "continues to accrue until payment in full."
    ),
    # --- certified demand ---------------------------------------------------------------------
    "certified_demand_title": "Certified demand for payment",
    "certified_demand_banner": (
        "Certified letter with acknowledgement of receipt and certificate of content issued by "
        "Amparo"
    ),
    "certified_demand_banner_postal": "Letter by post with certificate of content issued by Amparo",
    "certified_demand_banner_email": "Sent by email with certificate of content issued by Amparo",
    "certified_demand_intro": (
        "We hereby FORMALLY DEMAND that you pay the total sum of {total}, owed to {creditor} "
        "for the items listed below, which are overdue and remain unpaid."
    ),
    "certified_demand_prescription": (
        "This demand interrupts the limitation period for claiming these amounts, under "
        "article 1973 of the Spanish Civil Code."
    ),
    "certified_demand_enervation": (
        "We expressly warn you that, under article 22.4 of the Spanish Civil Procedure Act, if "
        "you do not pay all rent and amounts owed within thirty days of receiving this demand, "
        "you will not be able to stop eviction proceedings by paying after the claim is filed "
        "(enervación)."
    ),
    "certified_demand_masc": (
        "This demand is also our attempt at negotiation before going to court, as an "
        "appropriate means of dispute resolution under Spanish Organic Law 1/2025 of 2 "
        "January. We invite you to contact us within the period stated to reach an agreement, "
        "including a payment plan. If the period ends without payment or agreement, the "
        "out-of-court attempt will be deemed to have failed."
    ),
    # --- content certificate ------------------------------------------------------------------
    "certificate_title": "Certificate of content",
    "certificate_intro": (
        "This certificate, issued by Amparo, identifies the document before it, exactly as it "
        "was generated and sent."
    ),
    "certificate_sender": "Sender",
    "certificate_recipient": "Recipient",
    "certificate_pages": "Pages of the document",
    "certificate_sha256": "SHA-256 fingerprint of the document",
    "certificate_utc": "Generated (UTC)",
    "certificate_madrid": "Generated (Madrid time)",
    "certificate_archived": (
        "The document is archived unaltered: any change, however small, would give a "
        "different SHA-256 fingerprint."
    ),
    # --- statement ----------------------------------------------------------------------------
    "statement_title": "Statement of account",
    # --- rent update (LAU art. 18) ------------------------------------------------------------
    "rent_update_title": "Notice of rent update",
    "rent_update_intro": (
        "As agreed in the lease of the dwelling at {address} and under article 18 of Spanish "
        "Law 29/1994 on Urban Leases (LAU), we hereby notify you of the annual rent update."
    ),
    "rent_update_old": "Current rent",
    "rent_update_index": "Index applied",
    "rent_update_pct": "Change applied",
    "rent_update_new": "New rent",
    "rent_update_effective": "Payable from",
    "rent_update_index_value": "{index}, {month}",
    "rent_update_fixed": "Percentage agreed in the contract",
    "rent_update_law": (
        "The updated rent is payable from the month following this notice (article 18.3 LAU). "
        "On request, we will provide the National Statistics Institute (INE) certificate for "
        "the index applied."
    ),
    # --- deposit settlement (LAU art. 36) -----------------------------------------------------
    "deposit_settlement_title": "Settlement of the deposit",
    "deposit_settlement_intro": (
        "The lease of the dwelling at {address} having ended and the keys having been returned "
        "on {keys}, we send you the settlement of the deposit under article 36 of Spanish Law "
        "29/1994 on Urban Leases (LAU)."
    ),
    "deposit": "Deposit paid",
    "deductions": "Deductions",
    "no_deductions": "No deductions",
    "deposit_interest": "Interest",
    "to_return": "Amount to be returned",
    "deposit_settlement_pay": "We will pay you {amount} by {deadline} at the latest.",
    "deposit_settlement_law": (
        "Under article 36.4 LAU, any balance of the deposit to be returned bears statutory "
        "interest once one month has passed since the keys were returned without it being "
        "repaid."
    ),
}

WORDS: dict[str, dict[str, str]] = {"es": _ES, "en": _EN}

_MONTHS = {
    "es": (
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}


def words(language: str) -> dict[str, str]:
    """The fixed words for ``language`` (Spanish when the language is unknown)."""
    return WORDS.get(language, WORDS[DEFAULT_LANGUAGE])


def long_date(value: dt.date, language: str) -> str:
    """``23 de noviembre de 2026`` / ``23 November 2026``."""
    lang = language if language in _MONTHS else DEFAULT_LANGUAGE
    month = _MONTHS[lang][value.month - 1]
    if lang == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"


def month_year(value: dt.date | str, language: str) -> str:
    """``septiembre de 2026`` / ``September 2026``; a string (``2026-09``) prints as it is."""
    if not isinstance(value, dt.date):
        return str(value)
    lang = language if language in _MONTHS else DEFAULT_LANGUAGE
    month = _MONTHS[lang][value.month - 1]
    return f"{month} de {value.year}" if lang == "es" else f"{month} {value.year}"
