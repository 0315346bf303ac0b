"""Every user-facing string: Chinese first, English available.

``t(key, **fields)`` formats the string for the active language. The language is
``DASHBOARD_LANG`` (``zh`` by default, ``en`` for English) or whatever :func:`set_language`
chose last.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from typing import Final

# Per thread (each Streamlit session runs in its own): one user's English never leaks into
# another's page.
_DEFAULT_LANG = os.environ.get("DASHBOARD_LANG", "zh").lower()[:2] or "zh"
_LANG: ContextVar[str] = ContextVar("dashboard_lang", default=_DEFAULT_LANG)

LANGUAGES: Final = ("zh", "en")

# key: (Chinese, English)
_TEXT: Final[dict[str, tuple[str, str]]] = {
    # --- application ---
    "app_title": ("人口计生目标监测看板", "Population & Family-Planning Target Monitor"),
    "county_name": ("景东彝族自治县", "Jingdong Yi Autonomous County"),
    "county_short": ("景东县", "Jingdong"),
    "page_overview": ("总览", "Overview"),
    "sidebar_period": ("统计期", "Period"),
    "period_year": ("年份", "Year"),
    "period_kind": ("期间", "Span"),
    "period_kind_year": ("全年", "Full year"),
    "period_kind_ytd": ("年初至今", "Year to date"),
    "period_kind_quarter": ("季度", "Quarter"),
    "period_kind_month": ("月份", "Month"),
    "period_quarter": ("季度", "Quarter"),
    "period_month": ("月份", "Month"),
    "period_through": ("截至月份", "Through month"),
    "quarter_n": ("第{n}季度", "Q{n}"),
    "month_n": ("{n}月", "Month {n}"),
    "period_caption": ("{start} 至 {end}，共 {days} 天", "{start} to {end}, {days} days"),
    "period_partial": (
        "非全年：判定按全年预测值（× {factor:.3f}）",
        "Part of a year: judged on the full-year projection (× {factor:.3f})",
    ),
    "period_incomplete": (
        "统计期超出最近完整月份（{as_of}），数据不完整",
        "The period runs past the last complete month ({as_of}); counts are incomplete",
    ),
    "data_source": ("数据源", "Data source"),
    "demo_building": ("正在生成演示数据库（约 20 秒）…", "Building the demo database (about 20 s)…"),
    # --- indicator words ---
    "target": ("目标", "Target"),
    "value": ("数值", "Value"),
    "projection": ("全年预测", "Full-year projection"),
    "projection_short": ("预测", "proj."),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "interval": ("95% 区间", "95% interval"),
    "status": ("状态", "Status"),
    "level": ("层级", "Level"),
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "indicator": ("指标", "Indicator"),
    "unit": ("单位", "Unit"),
    "township": ("乡镇", "Township"),
    "village": ("村/社区", "Village"),
    "county": ("全县", "County"),
    "level_county": ("县", "county"),
    "level_township": ("乡镇", "township"),
    "level_village": ("村", "village"),
    "status_green": ("达标", "met"),
    "status_amber": ("接近", "near"),
    "status_red": ("未达标", "missed"),
    "status_no_data": ("无数据", "no data"),
    "small_numbers": ("数量少，仅供参考", "small numbers, indicative only"),
    "yoy": ("同比", "vs last year"),
    "n_births": ("出生 {n} 人", "{n} births"),
    "n_behind": ("{num} / {den}", "{num} / {den}"),
    "target_le": ("≤ {v}", "≤ {v}"),
    "target_ge": ("≥ {v}", "≥ {v}"),
    "target_eq": ("= {v}", "= {v}"),
    "target_band": ("{low}–{high}（约 {v}）", "{low}–{high} (≈ {v})"),
    "unit_permille": ("‰", "‰"),
    "unit_percent": ("%", "%"),
    "unit_ratio": ("女=100", "per 100 girls"),
    "unit_count": ("个", "count"),
    "target_source_default": (
        "本年度目标表无记录，使用默认目标",
        "No target rows for this year: default targets used",
    ),
    # --- overview ---
    "overview_heading": ("{county} {period} 人口计生目标完成情况", "{county}: targets, {period}"),
    "overview_matrix": ("乡镇 × 指标 完成情况", "Townships × indicators"),
    "overview_population": (
        "户籍人口 {pop:,}（期末），流动人口 {floating:,}（不计入分母）",
        "Registered population {pop:,} (end), floating {floating:,} (not in the rate base)",
    ),
    "legend_status": (
        "颜色与符号：✔ 达标　▲ 接近　✖ 未达标　— 无数据　? 数量少，仅供参考。卡片中的箭头为与上年同期相比的变化（红色表示变差）。",
        "Colours and symbols: ✔ met  ▲ near  ✖ missed  — no data  ? small numbers. Card arrows: change against the same months last year (red = worse).",
    ),
    "card_help": (
        "分子 {num} / 分母 {den}；95% 区间 {lo} – {hi}",
        "numerator {num} / denominator {den}; 95% interval {lo} – {hi}",
    ),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "language": ("语言 / Language", "Language / 语言"),
    "export_matrix_title": ("乡镇指标", "Township indicators"),
    "overview_caption": (
        "数值为统计期累计值；非全年的出生率、自然增长率按全年预测值判定。n = 分子 / 分母。",
        "Values are cumulative over the period; part-year birth and growth rates are judged on the full-year projection. n = numerator / denominator.",
    ),
    "no_registry": ("数据库无法使用", "The registry cannot be used"),
    # --- ranking ---
    "page_ranking": ("乡镇排名", "Ranking"),
    "service_work": ("服务工作", "Service work"),
    "rank": ("排名", "Rank"),
    "score": ("考核得分", "Score"),
    "max_score": ("满分", "Max"),
    "veto": ("一票否决", "Veto"),
    "no_veto": ("未否决", "No veto"),
    "rank_change": ("名次变化", "Rank change"),
    "score_title": ("乡镇考核得分排名", "Township assessment ranking"),
    "points_note": ("满分 {points:g} 分：达标得满分，接近得一半，未达标或无数据不得分", "{points:g} points: full if met, half if near, none if missed or no data"),
    "ranking_suffix": ("排名", " ranking"),
    "ranking_by": ("排名依据", "Rank by"),
    "ranking_score_option": ("综合考核得分", "Assessment score"),
    "my_township": ("我的乡镇", "My township"),
    "my_township_none": ("（不突出显示）", "(no highlight)"),
    "funnel_title": ("漏斗图：{indicator}", "Funnel plot: {indicator}"),
    "funnel_points": ("漏斗图的点", "Funnel points"),
    "funnel_x_births": ("出生人数（男+女）", "Births (boys + girls)"),
    "funnel_note": (
        "横轴为分母（人数），实线为目标值 ±95% 控制限，虚线为 ±99.8% 控制限。点落在漏斗内，与目标的差异可能只是偶然；落在 99.8% 线外，差异是真实的。灰淡的点数量少，仅供参考。",
        "x: the denominator; solid lines: 95 % limits around the target; dashed: 99.8 %. Inside the funnel a difference from the target may be chance; outside the 99.8 % lines it is real. Faded points: small numbers.",
    ),
    "rank_change_note": ("名次变化与上年同期比较（↑ 上升，↓ 下降）", "Rank change against the same months last year (↑ up, ↓ down)"),
    "veto_rule": ("计划生育率低于 {line:g}% 的乡镇一票否决，排在所有未否决乡镇之后", "Townships with planned births below {line:g}% are vetoed and rank below all others"),
    "small_numbers_last": ("“?” 表示数量少，仅供参考，排在结论明确的数值之后", "'?' marks small numbers, listed after the conclusive values"),
    "level_townships": ("乡镇", "Townships"),
    "level_villages": ("村（社区）", "Villages"),
    # --- map ---
    "page_map": ("地图", "Map"),
    "map_colour_by": ("着色", "Colour by"),
    "map_colour_status": ("达标状态", "Status"),
    "map_colour_value": ("数值", "Value"),
    "map_select_hint": ("点击地图上的乡镇，或在下方选择，进入乡镇详情", "Click a township on the map, or choose below, to drill down"),
    "map_open_township": ("进入乡镇", "Open township"),
    "map_boundary_fallback": ("边界文件无法使用，改用示意图：{reason}", "Boundary file unusable, showing the schematic map: {reason}"),
    "map_schematic": (
        "示意图：乡镇边界按乡镇政府驻地近似划分，位置为近似值，不作为行政区划界线",
        "Schematic: township boundaries are approximated from the township seats; not official boundaries",
    ),
    "map_bubbles": ("圆点为村（社区），大小表示户籍人口", "Dots are villages, sized by registered population"),
    "map_muted": ("颜色浅淡", "faded"),
    "map_selected": ("深色粗边框为所选乡镇", "Dark thick outline: the selected township"),
    "map_population": ("户籍人口", "Population"),
    "map_n": ("分子 / 分母", "Numerator / denominator"),
    "map_value_scale": ("数值（浅→深）", "Value (light → dark)"),
    "err_boundaries_read": (
        "无法读取乡镇边界文件 {path}：{reason}",
        "cannot read the township boundary file {path}: {reason}",
    ),
    "err_boundaries_match": (
        "乡镇边界文件 {path} 中没有要素带有匹配的乡镇代码（属性 code 或 township_code）",
        "no feature of the township boundary file {path} carries a matching township code (property code or township_code)",
    ),
    # --- drill-down ---
    "page_drill": ("乡镇/村", "Drill-down"),
    "drill_county": ("全县", "County"),
    "drill_choose_township": ("选择乡镇", "Choose a township"),
    "drill_choose_village": ("选择村（社区）", "Choose a village"),
    "drill_back_county": ("← 返回全县", "← County"),
    "drill_back_township": ("← 返回{name}", "← {name}"),
    "drill_townships_table": ("各乡镇指标", "Townships"),
    "drill_villages_table": ("{township}各村指标", "Villages of {township}"),
    "drill_pull_down": ("拖后腿的村", "Villages pulling the township down"),
    "drill_pull_down_note": (
        "按“差距”排序：若该村达到目标，本乡镇的分子可少/多多少（出生数、计划外出生、未落实长效措施人数）。",
        "Sorted by gap: how much the township's numerator would change if this village met the target.",
    ),
    "drill_gap": ("差距", "Gap"),
    "drill_no_gap": ("各村均达到目标", "Every village meets the target"),
    "drill_village_indicators": ("{village}指标", "Indicators of {village}"),
    "drill_monthly_trend": ("逐月趋势（年初至今累计，全年预测）", "Monthly trend (year to date, full-year projection)"),
    "drill_records": ("数字背后的登记记录", "Registry records behind the numbers"),
    "drill_records_births": ("统计期内出生（{n} 人）", "Births in the period ({n})"),
    "drill_records_wcba": ("未落实长效节育措施的已婚育龄妇女（{n} 人，截至 {d}）", "Married women 15–49 without a long-acting method ({n}, at {d})"),
    "drill_masked": ("身份证号与姓名已脱敏", "ID numbers and names are masked"),
    "col_birth_date": ("出生日期", "Birth date"),
    "col_sex": ("性别", "Sex"),
    "col_parity": ("孩次", "Parity"),
    "col_compliant": ("政策内", "Compliant"),
    "col_mother": ("母亲", "Mother"),
    "col_mother_id": ("母亲身份证号", "Mother's ID"),
    "col_mother_age": ("母亲年龄", "Mother's age"),
    "col_name": ("姓名", "Name"),
    "col_id_number": ("身份证号", "ID number"),
    "col_age": ("年龄", "Age"),
    "col_married_on": ("结婚日期", "Married on"),
    "col_method": ("现用措施", "Method in use"),
    "col_village": ("村（社区）", "Village"),
    "sex_M": ("男", "M"),
    "sex_F": ("女", "F"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "unknown": ("不详", "unknown"),
    "method_none": ("无", "none"),
    "method_oral": ("口服药", "pill"),
    "method_injection": ("注射", "injection"),
    "method_condom": ("避孕套", "condom"),
    "method_topical": ("外用药", "topical"),
    "method_other": ("其他", "other"),
    "method_iud": ("上环", "IUD"),
    "method_female_sterilization": ("女扎", "female sterilisation"),
    "method_male_sterilization": ("男扎", "vasectomy"),
    "method_implant": ("皮下埋植", "implant"),
    "records_title_births": ("出生登记", "Births"),
    "records_title_wcba": ("未落实长效措施妇女", "Women without long-acting method"),
    # --- trends ---
    "page_trends": ("趋势", "Trends"),
    "trend_indicator": ("指标", "Indicator"),
    "trend_scope": ("范围", "Scope"),
    "trend_yearly": ("逐年（全年；当年为年初至今的全年预测）", "By year (full years; the current year as its projection)"),
    "trend_ytd": ("年初至今累计（全年预测），与上年对比", "Year to date (full-year projection), against last year"),
    "trend_monthly_table": ("逐月数据", "Monthly figures"),
    "trend_year_col": ("年份", "Year"),
    "trend_month_col": ("月份", "Month"),
    "trend_this_year": ("{year}年", "{year}"),
    "trend_month_numerator": ("当月分子", "Numerator in the month"),
    "trend_partial_note": ("带 \\* 的年份为年初至今累计的全年预测值", "A year marked \\* is the full-year projection of the year to date"),
    # --- meeting ---
    "page_meeting": ("会议", "Meeting"),
    "meeting_prev": ("◀ 上一页", "◀ Previous"),
    "meeting_next": ("下一页 ▶", "Next ▶"),
    "meeting_auto": ("自动翻页", "Auto-advance"),
    "meeting_seconds": ("每页秒数", "Seconds per slide"),
    "meeting_slide_status": ("全县目标完成情况", "County status"),
    "meeting_slide_ranking": ("乡镇考核排名", "Township ranking"),
    "meeting_slide_map": ("各乡镇达标地图", "Map"),
    "meeting_slide_laggards": ("差距最大的村", "Villages furthest behind"),
    "meeting_page_of": ("第 {n} / {total} 页", "Slide {n} of {total}"),
    "meeting_refreshed": ("数据更新于 {time}", "Data as of {time}"),
    # --- export page ---
    "page_export": ("导出", "Export"),
    "export_heading": ("导出表格", "Export a table"),
    "export_choose_table": ("表格", "Table"),
    "export_scope": ("范围", "Scope"),
    "export_table_indicators_county": ("全县指标", "County indicators"),
    "export_table_indicators_township": ("乡镇指标", "Township indicators"),
    "export_table_indicators_village": ("村级指标", "Village indicators"),
    "export_table_births": ("出生登记名单", "Births in the period"),
    "export_table_wcba": ("已婚育龄妇女节育措施名单", "Married women 15–49 by method"),
    "export_wcba_filter": ("节育措施", "Method"),
    "export_wcba_all": ("全部", "all"),
    "export_wcba_long_acting": ("已落实长效措施", "long-acting"),
    "export_wcba_without_long_acting": ("未落实长效措施", "without long-acting"),
    "export_columns": ("列", "Columns"),
    "export_preview": ("预览（前 {n} 行）", "Preview (first {n} rows)"),
    "export_rows": ("共 {n:,} 行", "{n:,} rows"),
    "export_all_townships": ("全县", "Whole county"),
    "export_all_villages": ("全部村（社区）", "All villages"),
    "export_person_note": ("名单中的姓名和身份证号已脱敏；导出操作将被记录。", "Names and ID numbers are masked; the export is logged."),
    "export_too_large": ("超出 Excel 单表行数上限，请缩小范围或导出 CSV", "Too many rows for one Excel sheet: narrow the scope or export CSV"),
    "ci_low": ("95%下限", "95% low"),
    "ci_high": ("95%上限", "95% high"),
    # --- data quality ---
    "page_quality": ("数据质量", "Data quality"),
    "quality_title": ("数据质量检查", "Data-quality checks"),
    "quality_heading": ("登记数据质量：{period}", "Registry data quality: {period}"),
    "quality_note": (
        "“未来日期”以今天为准；“长期未更新”指最近 {months} 个月（截至 {as_of}）没有出生、迁入、迁出、死亡或婚姻登记的村；人口平衡按所选统计期核对。",
        "'Future' means after today; 'stale' villages had no birth, move, death or marriage recorded in the {months} months to {as_of}; the balance is checked for the chosen period.",
    ),
    "quality_total": ("合计", "Total"),
    "quality_check_col": ("检查项目", "Check"),
    "quality_choose_check": ("查看问题记录", "Show the records of"),
    "quality_records": ("问题记录（{n} 条）", "Records ({n})"),
    "quality_all_clear": ("未发现问题", "No problems found"),
    "quality_detail": ("说明", "Detail"),
    "quality_record": ("记录", "Record"),
    "quality_difference": ("差额", "Difference"),
    "check_id_invalid": ("身份证号无效", "Invalid ID number"),
    "check_id_duplicate": ("身份证号重复", "Duplicate ID number"),
    "check_id_sex_mismatch": ("性别与身份证号不符", "Sex disagrees with ID"),
    "check_id_birth_date_mismatch": ("出生日期与身份证号不符", "Birth date disagrees with ID"),
    "check_mother_age": ("母亲生育年龄异常（<15 或 >49）", "Mother younger than 15 or older than 49"),
    "check_event_future": ("日期在未来", "Dated in the future"),
    "check_event_before_birth": ("日期早于本人出生", "Dated before the person's birth"),
    "check_birth_missing_fields": ("出生记录缺性别或政策符合情况", "Birth without sex or compliance"),
    "check_stale_village": ("长期未更新的村", "Village not updated"),
    "check_population_balance": ("人口平衡不符", "Population does not balance"),
    # --- targets page ---
    "page_targets": ("目标设置", "Targets"),
    "targets_heading": ("{year}年目标", "Targets for {year}"),
    "targets_year": ("年度", "Year"),
    "targets_defaults_note": ("本年度目标表中还没有记录，下表为默认目标；保存后写入目标表。", "This year has no target rows yet: the defaults are shown; saving writes them."),
    "targets_help": (
        "每行一个目标。乡镇列为“全县（默认）”的行适用于所有乡镇；某乡镇的行覆盖全县默认值。op：<=、>=、= 或 band（区间，需填 low 与 high）；amber 为“接近”的容差（≥ 0）。",
        "One target per row. 全县（默认） rows apply to every township; a township's row overrides it. op: <=, >=, = or band (needs low and high); amber is the tolerance for amber (≥ 0).",
    ),
    "targets_save": ("保存", "Save"),
    "targets_saved": ("已保存 {n} 条目标（{year}年）", "Saved {n} targets for {year}"),
    "targets_copy": ("复制到 {year} 年", "Copy to {year}"),
    "targets_copied": ("已将 {src} 年目标复制到 {dst} 年（{n} 条）", "Copied {n} targets from {src} to {dst}"),
    "targets_read_only": ("当前角色只能查看目标（DASHBOARD_ROLE 不是 county）", "Your role can only view targets (DASHBOARD_ROLE is not county)"),
    "target_row": ("第 {n} 行", "row {n}"),
    "target_err_indicator": ("未知指标“{code}”", "unknown indicator '{code}'"),
    "target_err_township": ("未知乡镇“{name}”", "unknown township '{name}'"),
    "target_err_number": ("{field} 须为数字", "{field} must be a number"),
    "target_err_duplicate": ("同一乡镇同一指标重复", "the same township and indicator twice"),
    "target_err_op": ("op 须为 {ops} 之一", "op must be one of {ops}"),
    "target_err_value": ("须填目标值", "value is required"),
    "target_err_amber": ("容差 amber 须 ≥ 0", "amber tolerance must be ≥ 0"),
    "target_err_band": ("区间目标须填下限 low 和上限 high", "a band needs low and high"),
    "target_err_band_order": ("区间目标须下限 ≤ 上限", "a band needs low ≤ high"),
    "target_err_role": ("当前角色不能修改目标", "your role may not change targets"),
    "col_op": ("比较", "op"),
    "col_value": ("目标值", "value"),
    "col_low": ("下限", "low"),
    "col_high": ("上限", "high"),
    "col_amber": ("容差", "amber"),
    # --- errors (one line each) ---
    "err_period": (
        "无法识别的统计期“{text}”：可用 2024、2024-Q2、2024-06 或 2024-01..2024-09",
        "unknown period '{text}': use 2024, 2024-Q2, 2024-06 or 2024-01..2024-09",
    ),
    "err_period_span": (
        "统计期“{text}”跨年：月份区间须在同一年内",
        "period '{text}' spans two years: a month range must lie within one year",
    ),
    "err_period_order": (
        "统计期“{text}”的结束月份早于开始月份",
        "period '{text}' ends before it starts",
    ),
    "err_level": (
        "未知层级“{text}”：可用 county、township 或 village",
        "unknown level '{text}': use county, township or village",
    ),
    "err_connect": ("无法连接数据库 {url}：{reason}", "cannot connect to database {url}: {reason}"),
    "err_url": ("数据库地址无效“{url}”：{reason}", "invalid database URL '{url}': {reason}"),
    "err_missing_tables": (
        "数据库 {url} 缺少约定的表：{tables}",
        "database {url} lacks the contract tables: {tables}",
    ),
    "err_missing_columns": (
        "数据库 {url} 的表缺少约定的列：{columns}",
        "database {url} lacks contract columns: {columns}",
    ),
    "err_query": ("查询数据库失败：{reason}", "database query failed: {reason}"),
    "err_xlsx_needs_out": (
        "xlsx 格式需要用 --out 指定输出文件",
        "the xlsx format needs --out FILE",
    ),
    "err_write": ("无法写入文件 {path}：{reason}", "cannot write {path}: {reason}"),
    "err_scale": ("规模须大于 0：{text}", "scale must be greater than 0: {text}"),
    "err_db_exists": (
        "目标数据库已有人口表；请换一个路径或先删除：{url}",
        "the target database already holds registry tables; choose another or remove it: {url}",
    ),
    "warn_incomplete": (
        "注意：统计期超出最近完整月份 {as_of}，数据不完整",
        "warning: the period runs past the last complete month {as_of}; counts are incomplete",
    ),
    "demo_progress": ("生成演示数据：{step}", "demo data: {step}"),
    "demo_done": (
        "已生成 {url}：{persons:,} 人，{births:,} 条出生记录，用时 {seconds:.1f} 秒",
        "built {url}: {persons:,} persons, {births:,} births in {seconds:.1f} s",
    ),
}


def set_language(lang: str) -> None:
    """Switch every later ``t`` call to ``lang`` ('zh' or 'en')."""
    _LANG.set(lang if lang in LANGUAGES else "zh")


def language() -> str:
    return _LANG.get()


def t(key: str, /, **fields: object) -> str:
    """The string for ``key`` in the active language, formatted with ``fields``."""
    zh, en = _TEXT[key]
    text = en if _LANG.get() == "en" else zh
    return text.format(**fields) if fields else text


def has(key: str) -> bool:
    return key in _TEXT
