-- make bench: a catalogue of realistic size for the search scenario:
-- 2,000 vocational groups in every province, 10 products each (20,000),
-- Thai names and descriptions drawn from the kinds of goods the seed
-- articles name. Straight into the tables (the API is measured on reads).
insert into vocational_group (id, name, category, description, province_code,
    members_count, is_community_enterprise)
select ('f9000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
    'กลุ่มอาชีพ' || (array['ทอผ้า', 'จักสาน', 'แปรรูปอาหาร', 'ผักปลอดสาร',
	'เครื่องปั้น', 'ตัดเย็บ'])[1 + g % 6] || 'บ้าน' || g,
    (array['textiles', 'handicraft', 'food', 'agriculture', 'household',
	'other'])[1 + g % 6],
    'กลุ่มอาชีพในชุมชน สมาชิกผลิตและจำหน่ายเอง',
    (select code from province order by code offset g % 77 limit 1),
    5 + g % 40, g % 5 = 0
from generate_series(1, 2000) g;

insert into product (group_id, name, description, price_satang, unit, tags,
    created_at)
select ('f9000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid,
    (array['ผ้าซิ่น', 'กระเป๋าผ้า', 'ตะกร้าหวาย', 'กล่องข้าวสาน', 'น้ำพริก',
	'ผักสลัด', 'แจกันดินเผา', 'จานใบไม้', 'ผ้าพันคอ', 'ชาดอกบัว'])[1 + k] ||
	' แบบที่ ' || g,
    -- One description in 200 has the searched words (ลายน้ำไหล): about
    -- 100 of the 20,000, as a specific weave would be.
    (array['ทอมือ', 'เย็บมือ', 'สานมือ', 'ทำมือ', 'สูตรดั้งเดิม'])[1 + g % 5] ||
	case when (g * 10 + k) % 200 = 0 then 'ลายน้ำไหล' else
	(array['ลายดอกพิกุล', 'ลายตาราง', 'ลายขิด', 'ลายดอกแก้ว',
	'ลายจก', 'ลายมัดหมี่', 'ลายดอกบัว', 'ลายเกล็ดเต่า', 'ลายพื้นเมือง',
	'ลายช้าง', 'ลายนกยูง', 'ลายใบไม้', 'ลายกนก', 'ลายประจำยาม',
	'ลายก้านแย่ง', 'ลายดาว', 'ลายคลื่น', 'ลายเรขา',
	'ลายสับปะรด'])[1 + (g + k) % 19] end ||
	' ' || (array['ย้อมสีธรรมชาติ', 'ผ้าฝ้ายพิมพ์ลาย', 'วัสดุในท้องถิ่น',
	'ใส่ข้าวเหนียว', 'ไม่ใส่สารกันบูด', 'ปลูกแบบไม่ใช้สารเคมี',
	'เผาในเตาฟืน', 'ย่อยสลายได้', 'ใยก้านบัวผสมฝ้าย',
	'เกสรบัวหลวงอบแห้ง'])[1 + k],
    1000 + ((g * 37 + k * 101) % 200) * 500,
    (array['ผืน', 'ใบ', 'ใบ', 'ใบ', 'กระปุก', 'กิโลกรัม', 'ใบ', 'ชุด', 'ผืน',
	'กล่อง'])[1 + k],
    array['ทำมือ'],
    now() - make_interval(mins => g * 10 + k)
from generate_series(1, 2000) g, generate_series(0, 9) k;
analyze vocational_group;
analyze product;
