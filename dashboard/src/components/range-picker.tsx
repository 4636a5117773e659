/** The one control that chooses a range of days, on every page that has one. */
export function RangePicker(props: { days: readonly number[]; value: number; onChange: (days: number) => void }) {
  return (
    <>
      <label for="range">Range</label>
      <select id="range" value={String(props.value)} onChange={(e) => props.onChange(Number(e.currentTarget.value))}>
        {props.days.map((d) => (
          <option key={d} value={String(d)}>
            Last {d} days
          </option>
        ))}
      </select>
    </>
  );
}
